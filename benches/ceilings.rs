//! The two ceilings the load benchmark compares submissions with (run by `benches/load.sh`):
//! what sealing a submission costs alone on every core, and seal-plus-insert-plus-commit on one
//! database connection (one fsync per submission). Prints `key=value` lines.
//! Run alone: `cargo bench --bench ceilings` (BENCH_POSTGRES_URL for PostgreSQL).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use age::x25519;
use rongrian::crypto::seal;
use rongrian::crypto::token_hash::TokenHasher;
use rongrian::domain::token::SubmissionToken;
use std::time::{Duration, Instant};

const RUN: Duration = Duration::from_secs(3);

struct Keys {
    unit: x25519::Recipient,
    escrow: x25519::Recipient,
    custody: x25519::Recipient,
    hasher: TokenHasher,
}

fn content() -> serde_json::Value {
    serde_json::json!({
        "content": {"subject": "เรียกรับเงินค่าอนุญาต", "description": "ก".repeat(600), "relationship": "witness"},
        "submitted_at": "2026-12-03T10:00:00Z", "channel": "online"
    })
}

/// What `intake::file` seals for one submission: a token, its hash and reporter key, the content
/// to three recipients and the identity to two.
fn seal_one(keys: &Keys, body: &serde_json::Value) -> (Vec<u8>, Vec<u8>, [u8; 32]) {
    let token = SubmissionToken::generate();
    let hash = keys.hasher.hash(&token);
    let reporter = keys.hasher.reporter_identity(&token).expect("reporter").to_public();
    let content = seal::seal_json(body, &[&keys.unit, &keys.escrow, &reporter]).expect("seal");
    let identity = seal::seal_json(
        &serde_json::json!({"name": "ทดสอบ ภาระงาน", "phone": "0812345678"}),
        &[&keys.custody, &keys.escrow],
    )
    .expect("seal");
    (content, identity, hash)
}

fn keys() -> Keys {
    Keys {
        unit: x25519::Identity::generate().to_public(),
        escrow: x25519::Identity::generate().to_public(),
        custody: x25519::Identity::generate().to_public(),
        hasher: TokenHasher::new(zeroize::Zeroizing::new([7u8; 32])),
    }
}

#[tokio::main]
async fn main() {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            std::thread::spawn(|| {
                let (keys, body) = (keys(), content());
                let started = Instant::now();
                let mut n = 0u64;
                while started.elapsed() < RUN {
                    std::hint::black_box(seal_one(&keys, &body));
                    n += 1;
                }
                n as f64 / started.elapsed().as_secs_f64()
            })
        })
        .collect();
    let sealing: f64 = threads.into_iter().map(|t| t.join().expect("thread")).sum();
    println!("cores={cores}");
    println!("seal_per_s={sealing:.0}");

    let dir = tempfile::tempdir().expect("tmp");
    let (url, backend) = match std::env::var("BENCH_POSTGRES_URL") {
        Ok(url) => (url, "postgres"),
        Err(_) => (format!("sqlite://{}?mode=rwc", dir.path().join("ceiling.db").display()), "sqlite"),
    };
    let store = rongrian::storage::Store::connect(&secrecy::SecretString::from(url)).await.expect("connect");
    let pool = store.pool();
    let blob = if backend == "postgres" { "BYTEA" } else { "BLOB" };
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP TABLE IF EXISTS bench_ceiling; CREATE TABLE bench_ceiling (content {blob}, identity {blob}, token_hash {blob})"
    )))
    .execute(pool)
    .await
    .expect("table");
    let (keys, body) = (keys(), content());
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < RUN {
        let (content, identity, hash) = seal_one(&keys, &body);
        let mut tx = store.begin().await.expect("begin");
        sqlx::query("INSERT INTO bench_ceiling (content, identity, token_hash) VALUES ($1, $2, $3)")
            .bind(content)
            .bind(identity)
            .bind(hash.to_vec())
            .execute(&mut *tx)
            .await
            .expect("insert");
        tx.commit().await.expect("commit");
        n += 1;
    }
    println!("seal_insert_one_connection_per_s={:.0}", n as f64 / started.elapsed().as_secs_f64());
    let _ = sqlx::raw_sql("DROP TABLE bench_ceiling").execute(pool).await;
}
