//! A scrape target served by the test process: every `GET` answers `200` with one small gzipped
//! pprof profile (`Content-Type: application/octet-stream`), as Go's `net/http/pprof` does.
//!
//! One thread on a std listener, polled without blocking so that dropping the target stops the
//! thread and joins it: nothing outlives the test.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ferroalloy_pyroscope::generated::perftools::profiles::{Profile, Sample, ValueType};
use ferroalloy_pyroscope::pprof::encode_gzip;

/// How long one exchange may take before the connection is dropped.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;

/// A running target; dropping it stops the server.
pub(crate) struct PprofTarget {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PprofTarget {
    /// Listen on `127.0.0.1` at a free port.
    pub(crate) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the pprof target");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let port = listener.local_addr().expect("target address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let body = goroutine_profile();
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || serve(&listener, &stop, &body))
        };
        PprofTarget {
            port,
            stop,
            thread: Some(thread),
        }
    }

    /// The port it listens on.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PprofTarget {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A goroutine profile of one sample, gzipped.
fn goroutine_profile() -> Vec<u8> {
    encode_gzip(&Profile {
        string_table: vec!["".into(), "goroutine".into(), "count".into()],
        sample_type: vec![ValueType { r#type: 1, unit: 2 }],
        sample: vec![Sample {
            value: vec![3],
            ..Sample::default()
        }],
        period_type: Some(ValueType { r#type: 1, unit: 2 }),
        period: 1,
        ..Profile::default()
    })
    .to_vec()
}

fn serve(listener: &TcpListener, stop: &AtomicBool, body: &[u8]) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => answer(stream, body),
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Read one request head (bounded in size and time) and answer it; the connection closes.
fn answer(mut stream: TcpStream, body: &[u8]) {
    if stream.set_nonblocking(false).is_err()
        || stream.set_read_timeout(Some(EXCHANGE_TIMEOUT)).is_err()
        || stream.set_write_timeout(Some(EXCHANGE_TIMEOUT)).is_err()
    {
        return;
    }
    let deadline = Instant::now() + EXCHANGE_TIMEOUT;
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD || Instant::now() >= deadline {
            return;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}
