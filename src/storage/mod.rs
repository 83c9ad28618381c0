//! The storage boundary: all SQL lives here, one runtime-checked query set for SQLite and PostgreSQL
//! through sqlx's Any driver, with one migration set per backend.
pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod cases;
pub mod custody;
pub mod installation;
pub mod measures;
pub mod outbox;
pub mod report_figures;
pub mod retention;
pub mod units;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// The embedded default: `rongrian.db` in the data directory.
    pub fn sqlite_url(data_dir: &Path) -> SecretString {
        SecretString::from(format!("sqlite://{}?mode=rwc", data_dir.join("rongrian.db").display()))
    }

    pub async fn connect(url: &SecretString) -> Result<Self, StorageError> {
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
        let mut pool = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
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
        Ok(Self { pool, backend })
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

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
