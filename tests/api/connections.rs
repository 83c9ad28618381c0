//! Slow and silent connections are closed within seconds: a client that connects and says nothing,
//! one that trickles its headers, and a kept-alive connection left idle.
use crate::helpers::{Db, spawn};
use crate::on_both_databases;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; how long that took (None: still open after 10 s).
async fn closed_within(stream: &mut TcpStream) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

async fn slow_and_silent_connections_are_closed(db: Db) {
    let Some(app) = spawn(db, |s| s.server.header_timeout_secs = 1).await else { return };

    let mut silent = TcpStream::connect(app.addr).await.expect("connect");
    let took = closed_within(&mut silent).await.expect("a silent connection is closed");
    assert!(took < Duration::from_secs(5), "{took:?}");

    let mut trickle = TcpStream::connect(app.addr).await.expect("connect");
    let started = Instant::now();
    let request = b"GET /healthz HTTP/1.1\r\nHost: rongrian\r\nUser-Agent: slow\r\n\r\n";
    let mut closed = false;
    for byte in request {
        if trickle.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if !closed {
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), trickle.read_to_end(&mut buf)).await;
        assert!(
            !String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"),
            "a trickled request is not served"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(15));

    // A whole request is served; the kept-alive connection is then closed when it stays idle.
    let mut idle = TcpStream::connect(app.addr).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: rongrian\r\n\r\n").await.expect("write");
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buf))
        .await
        .expect("answer")
        .expect("read");
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    let took = closed_within(&mut idle).await.expect("an idle kept-alive connection is closed");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

on_both_databases!(slow_and_silent_connections_are_closed);
