//! The storage boundary: all SQL lives here, one runtime-checked query set for SQLite and PostgreSQL
//! through sqlx's Any driver, with one migration set per backend.
pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod cases;
pub mod custody;
pub mod group_commit;
pub mod installation;
pub mod measures;
pub mod outbox;
pub mod report_figures;
pub mod retention;
pub mod units;

pub use group_commit::{WriteStats, WriteTx};
use secrecy::{ExposeSecret, SecretString};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL scheme (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("stored data is inconsistent: {0}")]
    Corrupt(&'static str),
}

/// Whether a database error means the database cannot be reached or cannot take the work now
/// (so the request may be tried again), rather than a fault in the request or the data.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // SQLite: busy, locked, disk full, cannot open. PostgreSQL: connection exceptions,
            // insufficient resources, the server shutting down.
            matches!(code.as_ref(), "5" | "6" | "13" | "14" | "261" | "262" | "517")
                || code.starts_with("08")
                || code.starts_with("53")
                || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
        }
        _ => false,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Writers take turns on one connection, first come first served, and the writes waiting at
    /// a moment commit together (see `group_commit`).
    writes: std::sync::Arc<group_commit::GroupCommit>,
}

impl Store {
    /// The embedded default: `rongrian.db` in the data directory.
    pub fn sqlite_url(data_dir: &Path) -> SecretString {
        SecretString::from(format!("sqlite://{}?mode=rwc", data_dir.join("rongrian.db").display()))
    }

    pub async fn connect(url: &SecretString) -> Result<Self, StorageError> {
        Self::connect_with(url, Duration::from_secs(10)).await
    }

    /// Connects; a request waits at most `acquire_timeout` for a connection.
    pub async fn connect_with(url: &SecretString, acquire_timeout: Duration) -> Result<Self, StorageError> {
        sqlx::any::install_default_drivers();
        let url = url.expose_secret();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StorageError::UnsupportedUrl);
        };
        let options = AnyConnectOptions::from_str(url)?;
        let mut pool = AnyPoolOptions::new().acquire_timeout(acquire_timeout);
        if backend == Backend::Sqlite {
            // Durability first: a receipt shown to a reporter must survive a power cut.
            pool = pool.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    // Deleted and overwritten content is zeroed, so a purged case leaves nothing
                    // in the file's free pages.
                    conn.execute("PRAGMA secure_delete = ON").await?;
                    Ok(())
                })
            });
        } else {
            pool = pool.max_connections(16);
        }
        let pool = pool.connect_with(options).await?;
        if backend == Backend::Sqlite {
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        // SQLite takes the write lock at once (`BEGIN IMMEDIATE`), so a batch that reads before it
        // writes waits for another process's writer through `busy_timeout` instead of failing
        // with "database is locked" when its snapshot went stale.
        let begin_sql = if backend == Backend::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" };
        let writes = group_commit::GroupCommit::new(pool.clone(), begin_sql);
        Ok(Self { pool, backend, writes })
    }

    pub async fn migrate(&self) -> Result<(), StorageError> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Begins a transaction that writes: a savepoint in the batch being written, answered by
    /// `WriteTx::commit` once that batch has committed.
    pub async fn begin(&self) -> Result<WriteTx, sqlx::Error> {
        self.writes.begin().await
    }

    /// How many writes have committed, in how many database commits.
    pub fn write_stats(&self) -> WriteStats {
        self.writes.stats()
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.writes.close().await;
        self.pool.close().await;
    }
}
