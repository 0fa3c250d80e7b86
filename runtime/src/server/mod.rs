//! The HTTP server (runtime §10): one listener, HTTP/1.1 and h2c with prior knowledge, the routes
//! of [`routes::router`] over a [`ControlPlane`](crate::status::ControlPlane).
//!
//! Design decisions:
//! - [`HttpServer::bind`] is separate from [`HttpServer::serve`] so `ferroalloy run` binds (and
//!   fails with `failed to listen on <addr>: <error>`) before the initial load, and learns the
//!   port picked for `:0`.
//! - The accept loop is ours rather than `axum::serve` so every wait is bounded: a client gets
//!   [`HEADER_READ_TIMEOUT`] to send its request head, heads are limited to
//!   [`MAX_HEADER_BYTES`], and at shutdown open connections get [`SHUTDOWN_GRACE`] to finish
//!   before they are dropped.
//! - Each connection is a task on a [`TaskTracker`] owned by `serve`, which waits for all of
//!   them (after cancelling the stragglers) before it returns: no connection outlives the server.

pub mod encode;
pub mod pprof;
pub mod routes;
pub mod ui;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use routes::{normalize_prefix, router};

/// How long a client may take to send a request head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest request head accepted (HTTP/1.1 buffer and HTTP/2 header list).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// How long open connections may keep going once shutdown has begun.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listen address is not `host:port`.
    #[error("invalid listen address {addr:?}: {reason}")]
    InvalidAddress {
        /// The address as given.
        addr: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Binding failed (address in use, permission denied, unknown host, …).
    #[error("failed to listen on {addr}: {source}")]
    Listen {
        /// The address as given.
        addr: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// Split `host:port` (the host may be empty, a name, an IPv4 address or a bracketed IPv6
/// address) into its parts.
pub fn parse_listen_addr(addr: &str) -> Result<(String, u16), ServerError> {
    let invalid = |reason: &str| ServerError::InvalidAddress {
        addr: addr.to_owned(),
        reason: reason.to_owned(),
    };
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| invalid("missing port"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| invalid("the port is not a number from 0 to 65535"))?;
    let host = if let Some(inner) = host.strip_prefix('[') {
        inner
            .strip_suffix(']')
            .ok_or_else(|| invalid("unbalanced brackets"))?
            .to_owned()
    } else if host.contains(':') {
        return Err(invalid("an IPv6 address must be in brackets"));
    } else if host.is_empty() {
        "0.0.0.0".to_owned()
    } else {
        host.to_owned()
    };
    Ok((host, port))
}

/// A bound listener, ready to serve.
#[derive(Debug)]
pub struct HttpServer {
    listener: TcpListener,
    local_addr: SocketAddr,
}

impl HttpServer {
    /// Bind `addr` (`host:port`; port 0 picks a free port).
    pub async fn bind(addr: &str) -> Result<Self, ServerError> {
        let (host, port) = parse_listen_addr(addr)?;
        let listen_error = |source| ServerError::Listen {
            addr: addr.to_owned(),
            source,
        };
        let listener = TcpListener::bind((host.as_str(), port))
            .await
            .map_err(listen_error)?;
        let local_addr = listener.local_addr().map_err(listen_error)?;
        Ok(Self {
            listener,
            local_addr,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serve `router` until `shutdown` fires, then stop accepting, give open connections
    /// [`SHUTDOWN_GRACE`] to finish, drop the rest and return.
    pub async fn serve(self, router: Router, shutdown: CancellationToken) {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .max_buf_size(MAX_HEADER_BYTES);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(MAX_HEADER_BYTES).unwrap_or(u32::MAX));
        let graceful = GracefulShutdown::new();
        let connections = TaskTracker::new();
        let hard_stop = CancellationToken::new();
        loop {
            let accepted = tokio::select! {
                () = shutdown.cancelled() => break,
                accepted = self.listener.accept() => accepted,
            };
            let stream = match accepted {
                Ok((stream, _peer)) => stream,
                Err(err) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    tracing::warn!(error = %err, "failed to accept an http connection");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(Duration::from_millis(100)) => continue,
                    }
                }
            };
            let service = TowerToHyperService::new(router.clone());
            let connection = builder
                .serve_connection(TokioIo::new(stream), service)
                .into_owned();
            let connection = graceful.watch(connection);
            let stop = hard_stop.clone();
            connections.spawn(async move {
                tokio::select! {
                    result = connection => {
                        if let Err(err) = result {
                            tracing::debug!(error = %err, "http connection ended with an error");
                        }
                    }
                    () = stop.cancelled() => {}
                }
            });
        }
        drop(self.listener);
        connections.close();
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(SHUTDOWN_GRACE) => {
                tracing::warn!("http connections still open after the shutdown grace period were closed");
            }
        }
        hard_stop.cancel();
        connections.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        let ok = |addr: &str| parse_listen_addr(addr).ok();
        assert_eq!(ok("127.0.0.1:12345"), Some(("127.0.0.1".to_owned(), 12345)));
        assert_eq!(ok(":0"), Some(("0.0.0.0".to_owned(), 0)));
        assert_eq!(ok("[::1]:80"), Some(("::1".to_owned(), 80)));
        assert_eq!(ok("localhost:9"), Some(("localhost".to_owned(), 9)));
        for bad in [
            "127.0.0.1",
            "127.0.0.1:x",
            "127.0.0.1:70000",
            "::1:80",
            "[::1:80",
        ] {
            assert!(parse_listen_addr(bad).is_err(), "{bad}");
        }
    }
}
