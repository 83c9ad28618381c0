//! Group commit: every write transaction runs as a savepoint inside one shared database transaction,
//! and the writes that were waiting their turn at that moment commit together, with one fsync.
//!
//! Writes are serialised anyway (SQLite has one writer; on PostgreSQL every write appends to the
//! audit chain and locks its head row until it commits), so one commit per write made the fsync the
//! ceiling. A write still answers only after the transaction holding it has committed, so a receipt
//! shown to a reporter is exactly as durable as before. Readers use other connections and never wait.
//!
//! The rules: a writer takes the turn (first come, first served), opens a savepoint, writes, and
//! releases the savepoint. If nobody else is waiting for the turn, or the batch is full or old, it
//! commits the batch and tells every member the outcome; otherwise it leaves the commit to the next
//! writer and waits to be told. A writer that gives up (an error, a dropped request) is rolled back
//! to its savepoint and takes nothing else with it.
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard, oneshot};

/// At most this many writes share one commit, so a steady stream still commits regularly.
const MAX_BATCH: usize = 64;
/// Nor is a batch held open longer than this, whatever the queue.
const MAX_BATCH_AGE: Duration = Duration::from_millis(20);
/// As long as SQLite would wait for its lock; then the same "busy" answer.
const TURN_TIMEOUT: Duration = Duration::from_secs(10);
/// A member told nothing after this long commits the batch itself (a safety net: the writer that
/// should have committed was cancelled between two awaits).
const ORPHAN_WAIT: Duration = Duration::from_millis(100);

/// What a member of a batch learns: committed, or why not (the error itself went to the writer
/// that ran the commit).
type Outcome = Result<(), String>;

/// The one connection that writes, while it holds an open batch.
struct Writer {
    conn: PoolConnection<Any>,
    in_tx: bool,
    /// A member was dropped without commit or rollback: its savepoint must be undone first.
    savepoint_open: bool,
    /// The connection failed in a way that leaves its state unknown: it is closed, not reused.
    broken: bool,
    members: Vec<oneshot::Sender<Outcome>>,
    started: Instant,
}

impl Writer {
    fn fail_members(&mut self, why: &str) {
        for m in self.members.drain(..) {
            let _ = m.send(Err(why.to_owned()));
        }
    }

    /// Gives up the whole batch after a failure that may have ended it.
    async fn abandon(&mut self, error: &sqlx::Error) {
        let _ = self.conn.execute("ROLLBACK").await;
        self.in_tx = false;
        self.savepoint_open = false;
        self.broken = true;
        self.fail_members(&format!("the batch was rolled back: {error}"));
    }

    async fn undo_savepoint(&mut self) -> Result<(), sqlx::Error> {
        self.conn.execute("ROLLBACK TO SAVEPOINT member").await?;
        self.conn.execute("RELEASE SAVEPOINT member").await?;
        self.savepoint_open = false;
        Ok(())
    }

    async fn commit_batch(&mut self, stats: &Stats) -> Result<(), sqlx::Error> {
        let members = std::mem::take(&mut self.members);
        let result = self.conn.execute("COMMIT").await;
        self.in_tx = false;
        stats.batches.fetch_add(1, Ordering::Relaxed);
        match &result {
            Ok(_) => {
                for m in members {
                    let _ = m.send(Ok(()));
                }
            }
            Err(e) => {
                // A failed COMMIT may leave the transaction open: close the connection, which
                // rolls it back, rather than hand it to the next writer.
                self.broken = true;
                self.members = members;
                self.fail_members(&format!("the batch did not commit: {e}"));
            }
        }
        result.map(|_| ())
    }
}

#[derive(Default)]
struct Stats {
    writes: AtomicU64,
    batches: AtomicU64,
}

/// How many writes have committed, and in how many commits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteStats {
    pub writes: u64,
    pub batches: u64,
}

pub(super) struct GroupCommit {
    pool: AnyPool,
    begin_sql: &'static str,
    writer: Arc<Mutex<Option<Writer>>>,
    /// Writers waiting for the turn: while there are any, the holder leaves the commit to them.
    waiting: AtomicUsize,
    stats: Stats,
}

/// Counts a writer as waiting until it has the turn; a writer cancelled while waiting, if it was
/// the last one, makes sure the batch it was expected to commit is committed.
struct Queued<'a> {
    group: &'a Arc<GroupCommit>,
    armed: bool,
}

impl<'a> Queued<'a> {
    fn new(group: &'a Arc<GroupCommit>) -> Self {
        group.waiting.fetch_add(1, Ordering::SeqCst);
        Self { group, armed: true }
    }

    fn has_turn(mut self) {
        self.armed = false;
        self.group.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        if self.armed && self.group.waiting.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.group.settle_later();
        }
    }
}

impl GroupCommit {
    pub(super) fn new(pool: AnyPool, begin_sql: &'static str) -> Arc<Self> {
        Arc::new(Self {
            pool,
            begin_sql,
            writer: Arc::new(Mutex::new(None)),
            waiting: AtomicUsize::new(0),
            stats: Stats::default(),
        })
    }

    pub(super) fn stats(&self) -> WriteStats {
        WriteStats {
            writes: self.stats.writes.load(Ordering::Relaxed),
            batches: self.stats.batches.load(Ordering::Relaxed),
        }
    }

    pub(super) async fn begin(self: &Arc<Self>) -> Result<WriteTx, sqlx::Error> {
        let queued = Queued::new(self);
        let mut turn = tokio::time::timeout(TURN_TIMEOUT, self.writer.clone().lock_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?;
        queued.has_turn();
        self.tidy(&mut turn).await;
        if turn.is_none() {
            *turn = Some(Writer {
                conn: self.pool.acquire().await?,
                in_tx: false,
                savepoint_open: false,
                broken: false,
                members: Vec::new(),
                started: Instant::now(),
            });
        }
        let mut writer =
            OwnedMutexGuard::try_map(turn, Option::as_mut).map_err(|_| sqlx::Error::PoolClosed)?;
        if !writer.in_tx {
            if let Err(e) = writer.conn.execute(self.begin_sql).await {
                writer.broken = true;
                return Err(e);
            }
            writer.in_tx = true;
            writer.started = Instant::now();
        }
        if let Err(e) = writer.conn.execute("SAVEPOINT member").await {
            writer.abandon(&e).await;
            return Err(e);
        }
        writer.savepoint_open = true;
        Ok(WriteTx { group: self.clone(), writer, finished: false })
    }

    /// Undoes what a dropped member left and replaces a broken connection.
    async fn tidy(&self, turn: &mut OwnedMutexGuard<Option<Writer>>) {
        if let Some(w) = turn.as_mut()
            && w.savepoint_open
            && let Err(e) = w.undo_savepoint().await
        {
            w.abandon(&e).await;
        }
        if turn.as_ref().is_some_and(|w| w.broken)
            && let Some(w) = turn.take()
        {
            let _ = w.conn.close().await;
        }
    }

    /// Takes the turn and commits whatever batch is waiting, when no writer is queued to do it
    /// (or always, with `force`).
    async fn settle(self: &Arc<Self>, force: bool) {
        let Ok(mut turn) = tokio::time::timeout(TURN_TIMEOUT, self.writer.clone().lock_owned()).await else {
            return;
        };
        self.tidy(&mut turn).await;
        if let Some(w) = turn.as_mut()
            && w.in_tx
            && (force || self.waiting.load(Ordering::SeqCst) == 0)
            && let Err(e) = w.commit_batch(&self.stats).await
        {
            tracing::warn!(error = %e, "a write batch did not commit");
        }
    }

    fn settle_later(self: &Arc<Self>) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let group = self.clone();
            runtime.spawn(async move { group.settle(false).await });
        }
    }

    /// Commits what is pending and gives the connection back, before the pool closes.
    pub(super) async fn close(self: &Arc<Self>) {
        self.settle(true).await;
        if let Ok(mut turn) = tokio::time::timeout(TURN_TIMEOUT, self.writer.clone().lock_owned()).await {
            turn.take();
        }
    }
}

/// A write transaction: a savepoint in the shared batch, holding the writer's turn until it
/// commits, rolls back or is dropped (dropped means rolled back).
pub struct WriteTx {
    group: Arc<GroupCommit>,
    writer: OwnedMappedMutexGuard<Option<Writer>, Writer>,
    finished: bool,
}

impl WriteTx {
    /// Commits this write; returns once the batch holding it is on disk.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        self.finished = true;
        let group = self.group.clone();
        let w = &mut *self.writer;
        if let Err(e) = w.conn.execute("RELEASE SAVEPOINT member").await {
            w.abandon(&e).await;
            return Err(e);
        }
        w.savepoint_open = false;
        group.stats.writes.fetch_add(1, Ordering::Relaxed);
        let full = w.members.len() + 1 >= MAX_BATCH || w.started.elapsed() >= MAX_BATCH_AGE;
        if full || group.waiting.load(Ordering::SeqCst) == 0 {
            return w.commit_batch(&group.stats).await;
        }
        let (told, outcome) = oneshot::channel();
        w.members.push(told);
        // Hand the turn on; the next writer commits this write with its own.
        drop(self);
        wait_for_batch(&group, outcome).await
    }

    /// Undoes this write and leaves the batch's other writes as they were.
    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        self.finished = true;
        let group = self.group.clone();
        let w = &mut *self.writer;
        if let Err(e) = w.undo_savepoint().await {
            w.abandon(&e).await;
            return Err(e);
        }
        // Nobody else is coming to commit the others (or to end an empty transaction).
        if group.waiting.load(Ordering::SeqCst) == 0 {
            w.commit_batch(&group.stats).await?;
        }
        Ok(())
    }
}

async fn wait_for_batch(
    group: &Arc<GroupCommit>,
    outcome: oneshot::Receiver<Outcome>,
) -> Result<(), sqlx::Error> {
    let mut outcome = outcome;
    let told = match tokio::time::timeout(ORPHAN_WAIT, &mut outcome).await {
        Ok(told) => told,
        Err(_) => {
            group.settle(true).await;
            outcome.await
        }
    };
    match told {
        Ok(Ok(())) => Ok(()),
        // Reported as the database being unavailable: the write did not happen and may be retried.
        Ok(Err(why)) => Err(sqlx::Error::Protocol(why)),
        Err(_) => Err(sqlx::Error::Protocol("the write batch was abandoned".to_owned())),
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if !self.finished {
            // Its savepoint stays open until the next holder of the turn undoes it; if no writer is
            // waiting, one is started to undo it and commit the batch's other writes.
            self.writer.savepoint_open = true;
            if !self.writer.members.is_empty() || self.writer.in_tx {
                self.group.settle_later();
            }
        }
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.writer.conn
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.writer.conn
    }
}
