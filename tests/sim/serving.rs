//! A simulator's server: its axum app on a bound listener, in a thread of its own named
//! `sim-…` (its runtime's two workers too: the bench tells their CPU time from reckon's), its
//! connections counted (for `quiesce`) and cuttable (for faults: each connection's [`Cut`]
//! switch is its `ConnectInfo`); stopped and joined when dropped. Shared by the simulators.

use std::net::SocketAddr;

use super::connection::{Connections, Cut, CuttableListener};

/// A running server.
pub struct Serving {
    addr: SocketAddr,
    connections: Connections,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Serving {
    /// Serves the router `app` makes on `listener`, in thread `name`; the router gets the
    /// connection count as an `Extension`.
    pub fn start(
        name: &'static str,
        listener: std::net::TcpListener,
        app: impl FnOnce() -> axum::Router + Send + 'static,
    ) -> Self {
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let connections = Connections::default();
        let counted = connections.clone();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name(name)
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    let app = app()
                        .layer(axum::Extension(counted.clone()))
                        .into_make_service_with_connect_info::<Cut>();
                    let _ = axum::serve(CuttableListener::new(listener, counted), app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
            })
            .expect("spawn the simulator thread");
        Self {
            addr,
            connections,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its open connections.
    pub fn connections(&self) -> &Connections {
        &self.connections
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
