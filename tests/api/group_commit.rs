//! Group commit: writes waiting together share one commit, each answered only after it, and a
//! writer that fails or gives up takes nothing else with it.
use crate::helpers::{Db, spawn};
use crate::on_both_databases;
use std::time::Duration;

async fn scratch(app: &crate::helpers::TestApp) {
    sqlx::query("CREATE TABLE gc_scratch (v TEXT PRIMARY KEY)")
        .execute(app.state.store.pool())
        .await
        .unwrap();
}

async fn values(app: &crate::helpers::TestApp) -> Vec<String> {
    let mut v: Vec<String> =
        sqlx::query_scalar("SELECT v FROM gc_scratch").fetch_all(app.state.store.pool()).await.unwrap();
    v.sort();
    v
}

async fn write(store: rongrian::storage::Store, value: String) -> Result<(), sqlx::Error> {
    let mut tx = store.begin().await?;
    sqlx::query("INSERT INTO gc_scratch (v) VALUES ($1)").bind(value).execute(&mut *tx).await?;
    tx.commit().await
}

async fn concurrent_writes_share_commits_and_all_land(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    scratch(&app).await;
    // A batch closes 20 ms after it opens: on a stalled machine one round may see every write
    // commit alone, so sharing is asked of one round in three; landing is asked of every round.
    let mut seen = Vec::new();
    for round in 0..3 {
        let before = app.state.store.write_stats();
        let tasks: Vec<_> = (0..48)
            .map(|i| tokio::spawn(write(app.state.store.clone(), format!("r{round}w{i:02}"))))
            .collect();
        for t in tasks {
            tokio::time::timeout(Duration::from_secs(20), t).await.expect("a write hung").unwrap().unwrap();
        }
        let after = app.state.store.write_stats();
        assert_eq!(values(&app).await.len(), 48 * (round + 1), "every acknowledged write is in the database");
        let (writes, commits) = (after.writes - before.writes, after.batches - before.batches);
        assert_eq!(writes, 48);
        if commits < writes {
            return;
        }
        seen.push(commits);
    }
    panic!("writes waiting together must share commits: 48 writes took {seen:?} commits in three rounds");
}

async fn a_failing_writer_takes_nothing_else_with_it(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    scratch(&app).await;
    write(app.state.store.clone(), "taken".to_owned()).await.unwrap();
    // Every third write collides with the existing row; on PostgreSQL that error aborts the
    // transaction, so only its savepoint's rollback keeps the batch alive.
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let value = if i % 3 == 0 { "taken".to_owned() } else { format!("ok{i:02}") };
            tokio::spawn(write(app.state.store.clone(), value))
        })
        .collect();
    let mut failed = 0;
    for t in tasks {
        if tokio::time::timeout(Duration::from_secs(20), t).await.expect("a write hung").unwrap().is_err() {
            failed += 1;
        }
    }
    assert_eq!(failed, 10, "exactly the colliding writes fail");
    assert_eq!(values(&app).await.len(), 21, "the 20 others and the first row are there");
}

async fn a_dropped_or_cancelled_writer_leaves_the_batch_whole(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    scratch(&app).await;
    let store = app.state.store.clone();
    let mut first = store.begin().await.unwrap();
    sqlx::query("INSERT INTO gc_scratch (v) VALUES ('dropped')").execute(&mut *first).await.unwrap();
    // One writer waits for the turn and then completes; another is cancelled while waiting.
    let waits = tokio::spawn(write(store.clone(), "kept".to_owned()));
    let cancelled = tokio::spawn(write(store.clone(), "cancelled".to_owned()));
    tokio::time::sleep(Duration::from_millis(50)).await;
    cancelled.abort();
    drop(first);
    tokio::time::timeout(Duration::from_secs(10), waits)
        .await
        .expect("the waiting write hung")
        .unwrap()
        .unwrap();
    assert_eq!(values(&app).await, vec!["kept".to_owned()]);

    // A writer that committed while another still held the turn is answered once that other is
    // dropped, and its write is there.
    let holder = store.begin().await.unwrap();
    let queued = tokio::spawn(write(store.clone(), "after".to_owned()));
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(holder);
    tokio::time::timeout(Duration::from_secs(10), queued).await.expect("hung").unwrap().unwrap();
    assert_eq!(values(&app).await, vec!["after".to_owned(), "kept".to_owned()]);

    // An explicit rollback in a batch keeps the others; nothing stays locked afterwards: a
    // plain statement outside the writer commits at once.
    let mut undone = store.begin().await.unwrap();
    sqlx::query("INSERT INTO gc_scratch (v) VALUES ('undone')").execute(&mut *undone).await.unwrap();
    let queued = tokio::spawn(write(store.clone(), "beside".to_owned()));
    tokio::time::sleep(Duration::from_millis(50)).await;
    undone.rollback().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), queued).await.expect("hung").unwrap().unwrap();
    tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::query("INSERT INTO gc_scratch (v) VALUES ('outside')").execute(store.pool()),
    )
    .await
    .expect("the write lock was left held")
    .unwrap();
    assert_eq!(values(&app).await, ["after", "beside", "kept", "outside"].map(String::from).to_vec());
}

on_both_databases!(
    concurrent_writes_share_commits_and_all_land,
    a_failing_writer_takes_nothing_else_with_it,
    a_dropped_or_cancelled_writer_leaves_the_batch_whole,
);
