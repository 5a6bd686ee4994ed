//! The simulators' connections: each can be dropped from inside a handler (to fake a connection
//! lost after the work was committed); a received request's work runs to its end on its own
//! task whatever its client does ([`finish`]); and the open connections and running work are
//! counted, so a caller can wait until every request of a client that went away (a killed
//! process) has been done and answered or dropped — after which no late write can land.

// Each user (tests, examples) uses a different part of the simulators.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering as Atomic};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A switch the handler can flip to drop its connection without answering.
#[derive(Debug, Clone, Default)]
pub struct Cut(pub Arc<AtomicBool>);

/// How many of a simulator's connections are open (accepted and not yet closed), plus how many
/// requests' work is still running ([`finish`]), which may outlive its connection.
#[derive(Debug, Clone, Default)]
pub struct Connections(Arc<AtomicUsize>);

impl Connections {
    /// Connections open and work running now.
    pub fn busy(&self) -> usize {
        self.0.load(Atomic::SeqCst)
    }

    /// Counts one more until the returned guard is dropped.
    fn track(&self) -> Tracked {
        self.0.fetch_add(1, Atomic::SeqCst);
        Tracked(self.0.clone())
    }
}

/// Runs a received request's `work` on its own task, as a real server finishes what it received:
/// dropping the handler that awaits it (the server does when its client times out or dies and
/// the connection closes) does not cancel it. Counted in `connections` until it ends, so
/// [`quiesce`] waits for it too; counting starts while the request's connection is still
/// counted, so the count cannot touch zero in between.
pub async fn finish<T: Send + 'static>(
    connections: &Connections,
    work: impl Future<Output = T> + Send + 'static,
) -> T {
    let running = connections.track();
    let task = tokio::spawn(async move {
        let _running = running;
        work.await
    });
    match task.await {
        Ok(done) => done,
        Err(failed) => std::panic::resume_unwind(failed.into_panic()),
    }
}

/// Waits until the server at `addr` has no open connection and no work running, which proves
/// that no request sent to it before the call can still land. A fresh connection's answer shows
/// the server has accepted every connection queued before it (the kernel's accept queue is first
/// in, first out); each accepted one stays counted until the server drops it, after its handler
/// ended or was cancelled, and the work it started until that ends. The caller's own clients
/// must be dropped first (and, if their connections are driven by the caller's runtime, this
/// must run on it). Fails after `limit`.
pub async fn quiesce(
    addr: SocketAddr,
    connections: &Connections,
    limit: Duration,
) -> std::io::Result<()> {
    let deadline = tokio::time::Instant::now() + limit;
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream
            .write_all(b"GET /quiesce HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n")
            .await?;
        stream.read_to_end(&mut Vec::new()).await
    };
    let still_open = || {
        std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("sim: connections still open or work running after {limit:?}"),
        )
    };
    tokio::time::timeout_at(deadline, probe)
        .await
        .map_err(|_| still_open())??;
    while connections.busy() > 0 {
        if tokio::time::Instant::now() >= deadline {
            return Err(still_open());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(())
}

/// One open connection or running work in [`Connections`]; dropped with the connection's
/// stream or at the work's end.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Atomic::SeqCst);
    }
}

/// The simulators' listener: every connection comes with its [`Cut`] switch (as its
/// `ConnectInfo`), so a fault can drop exactly the connection it arrived on, and is counted in
/// [`Connections`] from its accept (in the kernel's order) until the server drops it.
pub struct CuttableListener {
    inner: tokio::net::TcpListener,
    connections: Connections,
}

impl CuttableListener {
    /// Serves `inner`, counting its connections in `connections`.
    pub fn new(inner: tokio::net::TcpListener, connections: Connections) -> Self {
        Self { inner, connections }
    }
}

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = Cut;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if let Ok((inner, _)) = self.inner.accept().await {
                let cut = Cut::default();
                let stream = CuttableStream {
                    inner,
                    cut: cut.clone(),
                    _open: self.connections.track(),
                };
                return (stream, cut);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(Cut::default())
    }
}

impl axum::extract::connect_info::Connected<IncomingStream<'_, CuttableListener>> for Cut {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP stream that fails every write once its switch is flipped.
pub struct CuttableStream {
    inner: tokio::net::TcpStream,
    cut: Cut,
    _open: Tracked,
}

impl CuttableStream {
    fn is_cut(&self) -> bool {
        self.cut.0.load(Atomic::SeqCst)
    }
}

fn broken() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::BrokenPipe, "sim: connection dropped")
}

impl tokio::io::AsyncRead for CuttableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for CuttableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.is_cut() {
            return Poll::Ready(Err(broken()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.is_cut() {
            return Poll::Ready(Err(broken()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
