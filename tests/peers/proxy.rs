//! A recording HTTP proxy: in front of a scrape target it records what the scraper asked for and
//! exactly what the target answered (scrape Acceptance 2 and 16 compare what was forwarded with
//! it); in front of `pyroscope.receive_http` it records exactly what a client sent (receive_http
//! Acceptance 1–4 compare what reached the fake server with it).
//!
//! Design decisions:
//! - one request per connection: the proxy asks the target with HTTP/1.0 (so the reply is never
//!   chunked and ends when the target closes), passes the reply through with
//!   `Connection: close` and closes, so the scraper opens a new connection for every scrape;
//! - plain threads with socket timeouts: the accept loop polls a stop flag every 10 ms and is
//!   joined on drop; connection threads end when either side closes or a 30 s timeout passes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Bound of every read and write of the proxy.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// The most a request head may hold.
const MAX_HEAD: usize = 64 * 1024;

/// The most a request body may hold.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// One proxied exchange.
#[derive(Clone, Debug)]
pub(crate) struct Exchange {
    /// The request target (`/debug/pprof/allocs`, with the query).
    pub(crate) target: String,
    /// The request headers (names lower case), in order.
    pub(crate) request_headers: Vec<(String, String)>,
    /// The request body (`Content-Length` bytes).
    pub(crate) request_body: Vec<u8>,
    /// The target's status code.
    pub(crate) status: u16,
    /// The target's reply body.
    pub(crate) body: Vec<u8>,
}

/// The proxy; stops when dropped.
pub(crate) struct RecordingProxy {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    in_flight: Arc<AtomicUsize>,
    accept: Option<JoinHandle<()>>,
}

/// Counts a request as in flight from its head's arrival until its relay ends.
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl RecordingProxy {
    /// Listen on 127.0.0.1:0 and forward every request to `upstream` (`host:port`).
    pub(crate) fn start(upstream: &str) -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener.set_nonblocking(true).expect("non-blocking accept");
        let addr = listener.local_addr().expect("proxy address");
        let stop = Arc::new(AtomicBool::new(false));
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let accept = {
            let (stop, exchanges, upstream) =
                (stop.clone(), exchanges.clone(), upstream.to_owned());
            let in_flight = in_flight.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            let (exchanges, upstream) = (exchanges.clone(), upstream.clone());
                            let in_flight = in_flight.clone();
                            std::thread::spawn(move || {
                                if let Some(exchange) = relay(client, &upstream, &in_flight) {
                                    exchanges
                                        .lock()
                                        .unwrap_or_else(PoisonError::into_inner)
                                        .push(exchange);
                                }
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        RecordingProxy {
            addr,
            stop,
            exchanges,
            in_flight,
            accept: Some(accept),
        }
    }

    /// `127.0.0.1:<port>`.
    pub(crate) fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// How many requests have arrived and are not relayed yet.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Every completed exchange, in completion order.
    pub(crate) fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Relay one request of `client` to `upstream` and the reply back; the exchange, or `None` when
/// either side failed.
fn relay(mut client: TcpStream, upstream: &str, in_flight: &Arc<AtomicUsize>) -> Option<Exchange> {
    client.set_nonblocking(false).ok()?;
    client.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    client.set_write_timeout(Some(IO_TIMEOUT)).ok()?;
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let split = loop {
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = client.read(&mut buf).ok()?;
        if n == 0 || received.len() > MAX_HEAD {
            return None;
        }
        received.extend_from_slice(&buf[..n]);
    };
    in_flight.fetch_add(1, Ordering::SeqCst);
    let _in_flight = InFlight(in_flight.clone());
    let head = String::from_utf8_lossy(&received[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, target) = (request_line.next()?, request_line.next()?);
    let mut request = format!("{method} {target} HTTP/1.0\r\nHost: {upstream}\r\n");
    let mut request_headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let name = name.trim().to_ascii_lowercase();
        if name != "host" && name != "connection" {
            request.push_str(line);
            request.push_str("\r\n");
        }
        request_headers.push((name, value.trim().to_owned()));
    }
    request.push_str("\r\n");
    let length: usize = request_headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(Some(0), |(_, v)| v.parse().ok())?;
    if length > MAX_BODY {
        return None;
    }
    let mut request_body = received[split + 4..].to_vec();
    while request_body.len() < length {
        let n = client.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        request_body.extend_from_slice(&buf[..n]);
    }

    let mut target_conn = TcpStream::connect(upstream).ok()?;
    target_conn.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    target_conn.write_all(request.as_bytes()).ok()?;
    target_conn.write_all(&request_body).ok()?;
    let mut reply = Vec::new();
    target_conn.read_to_end(&mut reply).ok()?;
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n")?;
    let reply_head = String::from_utf8_lossy(&reply[..split]).into_owned();
    let status = reply_head.split(' ').nth(1)?.parse().ok()?;
    let body = reply[split + 4..].to_vec();

    // Pass the reply on, delimited by the close.
    let mut out = String::new();
    for line in reply_head.split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    // The upstream has seen the request whether or not the client is still there to read the
    // reply, so the exchange is recorded either way.
    let _ = client
        .write_all(out.as_bytes())
        .and_then(|()| client.write_all(&body));
    let _ = client.shutdown(std::net::Shutdown::Both);
    Some(Exchange {
        target: target.to_owned(),
        request_headers,
        request_body,
        status,
        body,
    })
}
