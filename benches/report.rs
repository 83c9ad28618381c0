//! Report benchmark: one million cases in one fiscal year (far beyond an อบต., as for a national body
//! hosting many), then the time to compute the figures (aggregate queries) beside the time of one
//! GROUP BY scan over the same year, and the time to render each format. Run:
//! `cargo bench --bench report` (SQLite), or with BENCH_POSTGRES_URL for PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use rongrian::config::Settings;
use rongrian::domain::fiscal_year::FiscalYear;
use rongrian::report::render::{Format, Numerals, Section, bytes};
use rongrian::storage::Store;
use secrecy::SecretString;
use std::time::Instant;

const CASES: i64 = 1_000_000;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut settings = Settings::defaults().expect("defaults");
    let url = match std::env::var("BENCH_POSTGRES_URL") {
        Ok(u) => SecretString::from(u),
        Err(_) => Store::sqlite_url(dir.path()),
    };
    settings.server.database_url = url.clone();
    let store = Store::connect(&url).await.expect("db");
    store.migrate().await.expect("migrate");
    let pool = store.pool();
    sqlx::query("INSERT INTO units (code, recipient, escrow_wrapped_secret, created_on) VALUES ('palad', 'x', $1, '2025-10-01')")
        .bind(vec![0u8])
        .execute(pool)
        .await
        .expect("unit");
    let started = Instant::now();
    // Synthetic metadata only: the figures never look at the sealed columns.
    let generate = match store.backend() {
        rongrian::storage::Backend::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) \
             INSERT INTO cases (reference, fiscal_year, sequence, received_on, channel, track, category, anonymous, \
             status, status_changed_on, unit_code, routing_rule, acknowledge_due, result_due, token_hash, \
             reporter_recipient, content, identity, acknowledged_on, closed_on, outcome) \
             SELECT '2569-' || i, 2569, i, date('2025-10-01', '+' || (i % 365) || ' days'), \
             CASE i % 3 WHEN 0 THEN 'online' WHEN 1 THEN 'letter' ELSE 'walk_in' END, \
             CASE i % 2 WHEN 0 THEN 'corruption' ELSE 'general' END, 'bribery', i % 2 = 0, \
             CASE i % 4 WHEN 0 THEN 'concluded' WHEN 1 THEN 'acknowledged' WHEN 2 THEN 'not_accepted' ELSE 'new' END, \
             '2025-10-01', 'palad', 'default', date('2025-10-01', '+' || (i % 365 + 15) || ' days'), \
             date('2025-10-01', '+' || (i % 365 + 30) || ' days'), randomblob(32), 'x', X'00', NULL, \
             CASE WHEN i % 4 IN (0, 1) THEN date('2025-10-01', '+' || (i % 365 + i % 20) || ' days') END, \
             CASE WHEN i % 4 IN (0, 2) THEN date('2025-10-01', '+' || (i % 365 + 40) || ' days') END, \
             CASE WHEN i % 4 = 0 THEN 'substantiated' END FROM n"
        }
        rongrian::storage::Backend::Postgres => {
            "INSERT INTO cases (reference, fiscal_year, sequence, received_on, channel, track, category, anonymous, \
             status, status_changed_on, unit_code, routing_rule, acknowledge_due, result_due, token_hash, \
             reporter_recipient, content, identity, acknowledged_on, closed_on, outcome) \
             SELECT '2569-' || i, 2569, i, to_char(date '2025-10-01' + (i % 365)::int, 'YYYY-MM-DD'), \
             CASE i % 3 WHEN 0 THEN 'online' WHEN 1 THEN 'letter' ELSE 'walk_in' END, \
             CASE i % 2 WHEN 0 THEN 'corruption' ELSE 'general' END, 'bribery', i % 2 = 0, \
             CASE i % 4 WHEN 0 THEN 'concluded' WHEN 1 THEN 'acknowledged' WHEN 2 THEN 'not_accepted' ELSE 'new' END, \
             '2025-10-01', 'palad', 'default', to_char(date '2025-10-01' + (i % 365 + 15)::int, 'YYYY-MM-DD'), \
             to_char(date '2025-10-01' + (i % 365 + 30)::int, 'YYYY-MM-DD'), decode(md5(i::text) || md5(i::text), 'hex'), \
             'x', '\\x00', NULL, \
             CASE WHEN i % 4 IN (0, 1) THEN to_char(date '2025-10-01' + (i % 365 + i % 20)::int, 'YYYY-MM-DD') END, \
             CASE WHEN i % 4 IN (0, 2) THEN to_char(date '2025-10-01' + (i % 365 + 40)::int, 'YYYY-MM-DD') END, \
             CASE WHEN i % 4 = 0 THEN 'substantiated' END FROM generate_series(1, 1000000) AS i"
        }
    };
    // BENCH_SPREAD=1: cases as varied as real ones (answers after 0 to 29 days, closings after 1 to
    // 120, six categories), so nearly every case differs in what the figures group by.
    let spread = std::env::var("BENCH_SPREAD").is_ok_and(|v| v == "1");
    let generate = if spread { spread_out(generate, store.backend()) } else { generate.to_owned() };
    sqlx::query(sqlx::AssertSqlSafe(generate)).execute(pool).await.expect("generate");
    // Statistics as a running database has them (SQLite's ANALYZE; PostgreSQL's autovacuum, which
    // also marks pages all-visible so the covering index is read alone).
    let analyze = match store.backend() {
        rongrian::storage::Backend::Sqlite => "ANALYZE",
        rongrian::storage::Backend::Postgres => "VACUUM ANALYZE cases",
    };
    sqlx::query(analyze).execute(pool).await.expect("analyze");
    println!(
        "backend: {:?}; generated {CASES} {} cases in {:.1} s",
        store.backend(),
        if spread { "varied" } else { "regular" },
        started.elapsed().as_secs_f64()
    );
    let fy = FiscalYear::from_be(2569).expect("fy");
    // The yardstick: one GROUP BY scan over the same year, warm like the figures' queries.
    let mut conn = store.pool().acquire().await.expect("conn");
    let mut scan = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let n = rongrian::storage::report_figures::one_group_by_scan(&mut conn, fy).await.expect("scan");
        scan = scan.min(t.elapsed().as_secs_f64());
        assert_eq!(n, CASES as u64);
    }
    drop(conn);
    let mut figures = f64::MAX;
    let mut data = None;
    for _ in 0..3 {
        let t = Instant::now();
        let d = rongrian::report::load_from(&store, &settings, fy, time::macros::date!(2026 - 11 - 01))
            .await
            .expect("load");
        figures = figures.min(t.elapsed().as_secs_f64());
        data = Some(d);
    }
    let data = data.expect("loaded");
    let mut conn = store.pool().acquire().await.expect("conn");
    let groups =
        rongrian::storage::report_figures::aggregates(&mut conn, fy, time::macros::date!(2026 - 11 - 01))
            .await
            .expect("aggregates")
            .groups;
    drop(conn);
    println!("the figures' scan returned {groups} groups");
    println!(
        "figures (aggregate queries): {figures:.3} s; one GROUP BY scan: {scan:.3} s; ratio {:.2} (target <= 2) ({} cases)",
        figures / scan,
        data.figures.received
    );
    assert_eq!(data.figures.received, CASES as u64);
    for (name, format) in [
        ("html", Format::Html),
        ("csv", Format::Csv),
        ("json", Format::Json),
        ("docx", Format::Docx),
        ("xlsx", Format::Xlsx),
    ] {
        let t = Instant::now();
        let out = bytes(&data, Section::Full, format, Numerals::Thai, &settings, true).expect("render");
        println!("render {name}: {:.1} ms ({} bytes)", t.elapsed().as_secs_f64() * 1000.0, out.len());
    }
}

/// The generator with random delays and categories.
fn spread_out(generate: &str, backend: rongrian::storage::Backend) -> String {
    let (ack, close, pick) = match backend {
        rongrian::storage::Backend::Sqlite => {
            ("abs(random()) % 30", "1 + abs(random()) % 120", "abs(random()) % 6")
        }
        rongrian::storage::Backend::Postgres => {
            ("floor(random() * 30)::int", "1 + floor(random() * 120)::int", "floor(random() * 6)::int")
        }
    };
    let category = format!(
        "CASE {pick} WHEN 0 THEN 'bribery' WHEN 1 THEN 'embezzlement' WHEN 2 THEN 'procurement' \
         WHEN 3 THEN 'abuse_of_power' WHEN 4 THEN 'service_quality' ELSE 'infrastructure' END"
    );
    generate
        .replace("'bribery'", &category)
        .replace("i % 365 + i % 20)", &format!("i % 365 + {ack})"))
        .replace("i % 365 + 40)", &format!("i % 365 + {close})"))
}
