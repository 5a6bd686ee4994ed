//! Connections the simulator can drop from inside a handler, to fake a connection lost after
//! the work was committed.

use super::*;

/// A switch the handler can flip to drop its connection without answering.
#[derive(Debug, Clone, Default)]
pub(super) struct Cut(pub(super) Arc<AtomicBool>);

/// The simulator's listener: every connection comes with its [`Cut`] switch (as its
/// `ConnectInfo`), so a fault can drop exactly the connection it arrived on.
pub(super) struct CuttableListener(pub(super) tokio::net::TcpListener);

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = Cut;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if let Ok((inner, _)) = self.0.accept().await {
                let cut = Cut::default();
                return (
                    CuttableStream {
                        inner,
                        cut: cut.clone(),
                    },
                    cut,
                );
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
pub(super) struct CuttableStream {
    inner: tokio::net::TcpStream,
    cut: Cut,
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
