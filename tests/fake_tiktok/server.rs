//! The accept loop. It serves the axum router over hyper's HTTP/1 connection directly (instead of
//! `axum::serve`) so a handler can drop its TCP connection without answering: each request carries
//! a [`ConnAbort`] that, when fired, makes the connection task drop the socket.

use std::sync::Arc;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// Request extension: lets a handler kill the connection it arrived on.
#[derive(Clone)]
pub(crate) struct ConnAbort(Arc<Notify>);

impl ConnAbort {
    /// Closes the connection with no response. Data the client is still sending stays unread, so
    /// the kernel answers it with a TCP reset. Call, then never return (`std::future::pending`).
    pub(crate) fn abort(&self) {
        self.0.notify_one();
    }
}

/// Serves until the task is aborted; aborting it also ends every open connection (they live in
/// the `JoinSet` this future owns).
pub(crate) async fn serve(listener: TcpListener, router: Router) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(serve_conn(stream, router.clone()));
                }
                // E.g. out of file descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

async fn serve_conn(stream: TcpStream, router: Router) {
    let _ = stream.set_nodelay(true);
    let notify = Arc::new(Notify::new());
    let abort = ConnAbort(notify.clone());
    let svc = service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(abort.clone());
        TowerToHyperService::new(router.clone()).call(req)
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), svc);
    tokio::select! {
        _ = conn => {}
        () = notify.notified() => {} // drops `conn`, and with it the socket
    }
}
