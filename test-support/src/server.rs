//! A service's `run` on a task of its own, bound to port 0, with a lazily
//! connecting channel to it and a graceful stop.

use std::{future::Future, net::SocketAddr, time::Duration};

use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::transport::{Channel, Endpoint};

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub channel: Channel,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Server {
    /// Runs `run(listener, shutdown)` on a new loopback port.
    pub async fn start<F>(run: impl FnOnce(TcpListener, Shutdown) -> F) -> Self
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        Self::start_on(listener, run)
    }

    /// Runs `run(listener, shutdown)` on `listener`.
    pub fn start_on<F>(listener: TcpListener, run: impl FnOnce(TcpListener, Shutdown) -> F) -> Self
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        crate::init_logs();
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(listener, Shutdown(stopped)));
        let channel = Endpoint::from_shared(format!("http://{addr}"))
            .expect("endpoint")
            .connect_timeout(Duration::from_secs(5))
            .connect_lazy();
        Self {
            addr,
            channel,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the server gracefully and waits until it has.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Completes when the test stops the server.
pub struct Shutdown(oneshot::Receiver<()>);

impl Shutdown {
    pub async fn wait(self) {
        let _ = self.0.await;
    }
}
