//! No exact time through the back door: from a copy of the database, an anonymous submission can
//! be placed no more precisely than its day. The test signs an officer in just before and just
//! after a submission and then looks, in every column of every table, for anything that dates
//! those sign-ins (or anything else) to the second: a unix time, a TOTP step, a time of day.
use crate::helpers::{Db, minimal_complaint, spawn};
use crate::on_both_databases;
use rongrian::domain::staff::Role;
use sqlx::Row;
use std::time::Duration;

async fn tables(app: &crate::helpers::TestApp) -> Vec<String> {
    let sql = match app.db {
        Db::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        Db::Postgres => {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
             AND table_type = 'BASE TABLE'"
        }
    };
    sqlx::query(sql)
        .fetch_all(app.state.store.pool())
        .await
        .expect("tables")
        .iter()
        .map(|r| r.try_get::<String, _>(0).expect("name"))
        // When each migration ran dates the installation, not a sign-in or a submission.
        .filter(|t| t != "_sqlx_migrations")
        .collect()
}

/// Whether the text holds a time of day (`10:00`, `T03:00:20`).
fn has_time_of_day(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(5).any(|w| {
        w[0].is_ascii_digit()
            && w[1].is_ascii_digit()
            && w[2] == b':'
            && w[3].is_ascii_digit()
            && w[4].is_ascii_digit()
    })
}

/// Everything in the database that reads as a time within a day of `around` (unix seconds).
async fn times_found(app: &crate::helpers::TestApp, around: i64) -> Vec<String> {
    let pool = app.state.store.pool();
    let seconds = (around - 86_400)..=(around + 86_400);
    let steps = (around - 86_400) / 30..=(around + 86_400) / 30;
    let milliseconds = (around - 86_400) * 1000..=(around + 86_400) * 1000;
    let mut found = Vec::new();
    for table in tables(app).await {
        let columns_sql = match app.db {
            Db::Sqlite => format!("SELECT name FROM pragma_table_info('{table}')"),
            Db::Postgres => format!(
                "SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' \
                 AND table_name = '{table}'"
            ),
        };
        let columns: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(columns_sql))
            .fetch_all(pool)
            .await
            .expect("columns")
            .iter()
            .map(|r| r.try_get::<String, _>(0).expect("column"))
            .collect();
        for column in columns {
            let sql = match app.db {
                Db::Sqlite => format!(
                    "SELECT CAST({column} AS TEXT) FROM {table} WHERE typeof({column}) IN ('integer', 'text', 'real')"
                ),
                Db::Postgres => format!(
                    "SELECT {column}::text FROM {table} WHERE pg_typeof({column})::text NOT IN ('bytea')"
                ),
            };
            let Ok(rows) = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await else { continue };
            for row in rows {
                let Ok(Some(text)) = row.try_get::<Option<String>, _>(0) else { continue };
                let hit = match text.trim().parse::<i64>() {
                    Ok(n) => seconds.contains(&n) || steps.contains(&n) || milliseconds.contains(&n),
                    Err(_) => has_time_of_day(&text) && !text.starts_with('{') && !text.starts_with("age"),
                };
                if hit {
                    found.push(format!("{table}.{column} = {text}"));
                }
            }
        }
    }
    found
}

async fn a_database_copy_cannot_bracket_an_anonymous_submission(db: Db) {
    // Mail on (to a relay nobody runs: nothing is sent), so notices are made as in production.
    let Some(app) = spawn(db, |s| {
        s.smtp.host = "127.0.0.1".into();
        s.smtp.port = 9;
        s.smtp.tls = rongrian::config::SmtpTls::None;
        s.notify.poll_secs = 3600;
    })
    .await
    else {
        return;
    };
    app.wait_for_the_start_up_pass().await;
    let officer = app.create_officer("somsri", &[Role::IntakeOfficer], &["palad"]).await;
    let submitted_at = app.clock.now_utc().unix_timestamp() + 20;
    app.login(&app.client, &officer).await;
    app.clock.advance(Duration::from_secs(20));
    let receipt = app.submit_json(&minimal_complaint()).await;
    assert_eq!(receipt["anonymous"], true);
    // The reporter writes too; neither notice may be queued with a send time that dates it.
    let r = app
        .client
        .post(app.url("/api/v1/complaints/messages"))
        .bearer_auth(receipt["token"].as_str().expect("token"))
        .json(&serde_json::json!({"text": "มีหลักฐานเพิ่มเติม"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    app.clock.advance(Duration::from_secs(20));
    let later = crate::helpers::client_from(crate::helpers::CLIENT_IP);
    let session = app.login(&later, &officer).await;
    // The officer works on: the session's last use is recorded (sealed) too.
    app.clock.advance(Duration::from_secs(90));
    let r = app.staff_get(&later, &session, "/staff").await;
    assert_eq!(r.status(), 200);

    let found = times_found(&app, submitted_at).await;
    assert!(found.is_empty(), "the database dates something to the second: {found:#?}");

    // The search would have found what the service stored before: a sign-in time in the clear.
    let pool = app.state.store.pool();
    sqlx::query("UPDATE sessions SET created_at = $1")
        .bind(submitted_at - 20)
        .execute(pool)
        .await
        .expect("plant");
    let planted = times_found(&app, submitted_at).await;
    assert!(planted.iter().any(|f| f.starts_with("sessions.created_at")), "{planted:?}");
}

on_both_databases!(a_database_copy_cannot_bracket_an_anonymous_submission);
