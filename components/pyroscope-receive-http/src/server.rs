//! The component's own HTTP server (spec §3): binding, a bounded accept loop, TLS, h2c,
//! per-connection timeouts, graceful stop.
//!
//! Decisions:
//! - [`Shared`] holds what requests read and Update swaps: the [`Settings`] snapshot and the
//!   receivers (`ArcSwap`, lock-free on the request path). A connection takes the settings
//!   snapshot current when it is accepted (timeouts, TLS, h2c); a request reads the current body
//!   limit and receivers, so Update applies to new connections and requests (§3).
//! - `conn_limit` is a `watch` counter of open connections: the accept loop waits until the
//!   count is under the current limit before it accepts (so at the limit the kernel backlog
//!   holds new clients); Update pokes the counter so a raised limit takes effect at once.
//! - One [`RunningServer`] per listener. Stopping it is two steps so Update can sequence them
//!   (§3): [`RunningServer::stop_accepting`] ends the accept loop and drops the socket (the port
//!   refuses from then on), [`RunningServer::shutdown`] then asks every connection to finish
//!   gracefully (hyper's graceful shutdown: in-flight requests complete, idle keep-alive
//!   connections close) and cuts the rest after the grace period. Every token is a child of the
//!   component's kill token, so dropping the component stops everything.
//! - Timeouts: `server_read_timeout` bounds the request head (hyper's HTTP/1 header timeout), the
//!   TLS handshake and the body read; `server_write_timeout` bounds the handler from the end of
//!   the head to the response (exceeded: the connection is dropped); `server_idle_timeout` closes
//!   a connection gracefully when it had no request in flight for that long.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use ferroalloy_pyroscope::ReceiverRef;
use hyper::Request;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

use crate::config::ReceiveHttpArguments;
use crate::handler::{self, HttpResponse, Route};
use crate::metrics::Metrics;
use crate::tls::{self, TlsError};

/// How long a TLS handshake may take when `server_read_timeout` is 0.
const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The serving settings derived from the arguments.
pub struct Settings {
    /// `max_request_body_size` in bytes.
    pub body_limit: u64,
    /// `server_read_timeout` (`None` = 0 = none).
    pub read_timeout: Option<Duration>,
    /// `server_write_timeout`.
    pub write_timeout: Option<Duration>,
    /// `server_idle_timeout`.
    pub idle_timeout: Option<Duration>,
    /// The TLS acceptor, when `tls` is configured.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// h2c with prior knowledge (`http2.enabled`).
    pub h2c: bool,
    /// `http2.max_concurrent_streams`.
    pub max_concurrent_streams: u32,
    /// `conn_limit` (0 = none).
    pub conn_limit: usize,
}

fn positive(d: ferroalloy_value::duration::Duration) -> Option<Duration> {
    u64::try_from(d.as_nanos())
        .ok()
        .filter(|n| *n > 0)
        .map(Duration::from_nanos)
}

impl Settings {
    /// Derive the settings of validated `args`, loading the TLS material.
    pub fn new(args: &ReceiveHttpArguments) -> Result<Self, TlsError> {
        let http = &args.http;
        let tls = match &http.tls {
            Some(cfg) => Some(tokio_rustls::TlsAcceptor::from(tls::server_config(cfg)?)),
            None => None,
        };
        Ok(Self {
            body_limit: http.body_limit(),
            read_timeout: positive(http.server_read_timeout),
            write_timeout: positive(http.server_write_timeout),
            idle_timeout: positive(http.server_idle_timeout),
            tls,
            h2c: http.http2.enabled,
            max_concurrent_streams: u32::try_from(http.http2.max_concurrent_streams)
                .unwrap_or(u32::MAX),
            conn_limit: usize::try_from(http.conn_limit).unwrap_or(0),
        })
    }
}

/// State shared by the component, its accept loops and its requests.
pub struct Shared {
    settings: ArcSwap<Settings>,
    receivers: ArcSwap<Vec<ReceiverRef>>,
    metrics: Metrics,
    connections: watch::Sender<usize>,
}

impl Shared {
    /// Shared state with initial settings and receivers.
    pub fn new(settings: Settings, receivers: Vec<ReceiverRef>, metrics: Metrics) -> Self {
        metrics.set_connections_limit(settings.conn_limit);
        metrics.set_connections(0);
        Self {
            settings: ArcSwap::from_pointee(settings),
            receivers: ArcSwap::from_pointee(receivers),
            metrics,
            connections: watch::Sender::new(0),
        }
    }

    /// The current settings.
    pub fn settings(&self) -> Arc<Settings> {
        self.settings.load_full()
    }

    /// The current receivers (`forward_to`).
    pub fn receivers(&self) -> Arc<Vec<ReceiverRef>> {
        self.receivers.load_full()
    }

    /// Replace the settings (new connections and requests use them).
    pub fn set_settings(&self, settings: Settings) {
        self.metrics.set_connections_limit(settings.conn_limit);
        self.settings.store(Arc::new(settings));
        // Wake accept loops waiting at the old limit.
        self.connections.send_modify(|_| {});
    }

    /// Replace the receivers.
    pub fn set_receivers(&self, receivers: Vec<ReceiverRef>) {
        self.receivers.store(Arc::new(receivers));
    }

    /// The number of open connections.
    pub fn open_connections(&self) -> usize {
        *self.connections.borrow()
    }

    fn connection_opened(&self) {
        self.connections.send_modify(|n| *n += 1);
        self.metrics.set_connections(self.open_connections());
    }

    fn connection_closed(&self) {
        self.connections.send_modify(|n| *n = n.saturating_sub(1));
        self.metrics.set_connections(self.open_connections());
    }
}

/// Format `host:port` with brackets around an IPv6 host.
pub fn display_addr(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Bind `listen_address:listen_port` (`""` = all interfaces: `[::]`, else `0.0.0.0`). The error
/// is the build error text `failed to create server: listen tcp <addr>: <os error>`.
pub async fn bind(address: &str, port: u16) -> Result<TcpListener, String> {
    let host = address
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(address);
    let fail = |host: &str, e: std::io::Error| {
        format!(
            "failed to create server: listen tcp {}: {e}",
            display_addr(host, port)
        )
    };
    if host.is_empty() {
        return match TcpListener::bind(("::", port)).await {
            Ok(listener) => Ok(listener),
            Err(v6) if v6.kind() == std::io::ErrorKind::AddrInUse => Err(fail("", v6)),
            Err(_) => TcpListener::bind(("0.0.0.0", port))
                .await
                .map_err(|e| fail("", e)),
        };
    }
    TcpListener::bind((host, port))
        .await
        .map_err(|e| fail(host, e))
}

/// One listener with its accept loop and connections.
pub struct RunningServer {
    local_addr: SocketAddr,
    stop: CancellationToken,
    graceful: CancellationToken,
    hard: CancellationToken,
    accept: TaskTracker,
    connections: TaskTracker,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// Start serving `listener`; every token is a child of `kill`.
    pub fn start(
        listener: TcpListener,
        local_addr: SocketAddr,
        shared: Arc<Shared>,
        kill: &CancellationToken,
        span: tracing::Span,
    ) -> Self {
        let server = Self {
            local_addr,
            stop: kill.child_token(),
            graceful: kill.child_token(),
            hard: kill.child_token(),
            accept: TaskTracker::new(),
            connections: TaskTracker::new(),
        };
        server.accept.spawn(
            accept_loop(
                listener,
                shared,
                server.stop.clone(),
                server.graceful.clone(),
                server.hard.clone(),
                server.connections.clone(),
            )
            .instrument(span),
        );
        server.accept.close();
        server
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// End the accept loop and wait until the socket is closed.
    pub async fn stop_accepting(&self) {
        self.stop.cancel();
        self.accept.wait().await;
    }

    /// Stop accepting, let open connections finish for up to `grace`, then close them.
    pub async fn shutdown(self, grace: Duration) {
        self.stop_accepting().await;
        self.graceful.cancel();
        self.connections.close();
        if tokio::time::timeout(grace, self.connections.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                address = %self.local_addr,
                "connections still open after graceful_shutdown_timeout were closed"
            );
        }
        self.hard.cancel();
        self.connections.wait().await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    stop: CancellationToken,
    graceful: CancellationToken,
    hard: CancellationToken,
    connections: TaskTracker,
) {
    let mut open = shared.connections.subscribe();
    loop {
        let capacity = async {
            open.wait_for(|n| {
                let limit = shared.settings.load().conn_limit;
                limit == 0 || *n < limit
            })
            .await
            .is_ok()
        };
        tokio::select! {
            () = stop.cancelled() => break,
            ok = capacity => if !ok { break },
        }
        let accepted = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                // Out of file descriptors and similar: back off instead of spinning.
                tracing::warn!(%error, "failed to accept a connection");
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_millis(100)) => continue,
                }
            }
        };
        shared.connection_opened();
        let guard = ConnectionGuard(shared.clone());
        let settings = shared.settings();
        connections.spawn(
            serve_connection(stream, guard, settings, graceful.clone(), hard.clone())
                .instrument(tracing::Span::current()),
        );
    }
    drop(listener);
}

/// Counts a connection closed when its task ends, however it ends.
struct ConnectionGuard(Arc<Shared>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.connection_closed();
    }
}

#[derive(Clone, Copy)]
enum Protocols {
    Http1,
    Http2,
    Both,
}

async fn serve_connection(
    stream: TcpStream,
    guard: ConnectionGuard,
    settings: Arc<Settings>,
    graceful: CancellationToken,
    hard: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    match settings.tls.clone() {
        Some(acceptor) => {
            let handshake = tokio::time::timeout(
                settings.read_timeout.unwrap_or(DEFAULT_HANDSHAKE_TIMEOUT),
                acceptor.accept(stream),
            );
            let tls = tokio::select! {
                () = graceful.cancelled() => return,
                () = hard.cancelled() => return,
                result = handshake => match result {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(error)) => {
                        tracing::debug!(%error, "tls handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!("tls handshake timed out");
                        return;
                    }
                },
            };
            let protocols = if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
                Protocols::Http2
            } else {
                Protocols::Http1
            };
            serve_io(
                TokioIo::new(tls),
                protocols,
                guard,
                settings,
                graceful,
                hard,
            )
            .await;
        }
        None => {
            let protocols = if settings.h2c {
                Protocols::Both
            } else {
                Protocols::Http1
            };
            serve_io(
                TokioIo::new(stream),
                protocols,
                guard,
                settings,
                graceful,
                hard,
            )
            .await;
        }
    }
}

/// Requests in flight on one connection and the time of the last request start or end.
struct Activity {
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
}

impl Activity {
    fn touch(&self) {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    /// Resolves once nothing was in flight for `idle`.
    async fn idle(&self, idle: Duration) {
        loop {
            let last = *self.last.lock().unwrap_or_else(PoisonError::into_inner);
            let busy = self.in_flight.load(Ordering::Acquire) > 0;
            if !busy && last.elapsed() >= idle {
                return;
            }
            let wake = if busy {
                Instant::now() + idle
            } else {
                last + idle
            };
            tokio::time::sleep_until(wake).await;
        }
    }
}

/// [`Activity::idle`], or never when there is no idle timeout.
async fn idle_or_never(activity: &Activity, idle: Option<Duration>) {
    match idle {
        Some(idle) => activity.idle(idle).await,
        None => std::future::pending().await,
    }
}

/// Ends the in-flight count of a request however its future ends.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.touch();
    }
}

/// The error that makes hyper drop a connection whose handler passed `server_write_timeout`.
#[derive(Debug)]
struct WriteTimeout;

impl std::fmt::Display for WriteTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("server_write_timeout exceeded")
    }
}

impl std::error::Error for WriteTimeout {}

async fn serve_io<I>(
    io: I,
    protocols: Protocols,
    guard: ConnectionGuard,
    settings: Arc<Settings>,
    graceful: CancellationToken,
    hard: CancellationToken,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let shared = guard.0.clone();
    let activity = Arc::new(Activity {
        in_flight: AtomicUsize::new(0),
        last: Mutex::new(Instant::now()),
    });
    let service = {
        let activity = activity.clone();
        let settings = settings.clone();
        service_fn(move |request: Request<Incoming>| {
            activity.in_flight.fetch_add(1, Ordering::AcqRel);
            activity.touch();
            let in_flight = InFlight(activity.clone());
            let shared = shared.clone();
            let read_timeout = settings.read_timeout;
            let write_timeout = settings.write_timeout;
            async move {
                let _in_flight = in_flight;
                let work = observed(request, shared, read_timeout);
                match write_timeout {
                    None => Ok::<HttpResponse, WriteTimeout>(work.await),
                    Some(limit) => tokio::time::timeout(limit, work)
                        .await
                        .map_err(|_| WriteTimeout),
                }
            }
        })
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder = match protocols {
        Protocols::Http1 => builder.http1_only(),
        Protocols::Http2 => builder.http2_only(),
        Protocols::Both => builder,
    };
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(settings.max_concurrent_streams);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let idle_timeout = settings.idle_timeout;
    let mut closing = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                break;
            }
            () = graceful.cancelled(), if !closing => {
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
            () = idle_or_never(&activity, idle_timeout), if !closing => {
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
            () = hard.cancelled() => break,
        }
    }
    drop(guard);
}

/// Handle one request with its metrics.
async fn observed(
    request: Request<Incoming>,
    shared: Arc<Shared>,
    read_timeout: Option<Duration>,
) -> HttpResponse {
    let mut record = RequestRecord {
        shared: shared.clone(),
        method: request.method().to_string(),
        route: Route::of(request.uri().path()).label(),
        started: Instant::now(),
        status: 0,
        bytes: 0,
    };
    shared.metrics.request_started(&record.method, record.route);
    let response = handler::handle(request, shared, read_timeout, &mut record.bytes).await;
    record.status = response.status().as_u16();
    response
}

/// Records a request's metrics when it ends, also when its future is dropped (write timeout,
/// connection closed): such a request counts with status 0.
struct RequestRecord {
    shared: Arc<Shared>,
    method: String,
    route: &'static str,
    started: Instant,
    status: u16,
    bytes: usize,
}

impl Drop for RequestRecord {
    fn drop(&mut self) {
        self.shared.metrics.request_finished(
            &self.method,
            self.route,
            self.status,
            self.started.elapsed().as_secs_f64(),
            self.bytes,
        );
    }
}
