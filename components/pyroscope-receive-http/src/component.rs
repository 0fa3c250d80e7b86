//! The `pyroscope.receive_http` component: build, run, update, health and debug info (spec §3,
//! §10).
//!
//! Decisions:
//! - Build validates, loads the TLS material and binds, so a bad address or certificate fails
//!   the build, then starts serving at once: the listener belongs to the component (every task
//!   is a child of its kill token, cancelled when Run ends or the component is dropped). Run
//!   waits for cancellation, then stops the server gracefully (bounded by
//!   `graceful_shutdown_timeout`) and waits for every old server still draining.
//! - Update (§3): `forward_to` and settings are swapped atomically for new requests and
//!   connections. Unchanged address and port keep the listener. A new port is bound first and
//!   the old listener stops only once that succeeded; a new address on the port the old
//!   listener is bound to (compared with the bound port, so `0` → that port counts) stops the old
//!   listener first (it would block the bind), then binds. A failed bind makes
//!   the component unhealthy with the bind error and fails the Update.
//! - Old servers finish their connections on background tasks the component owns, so Update
//!   returns as soon as the new listener serves.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ferroalloy_component::{
    Arguments, BuildError, Component, EncodedBody, Health, NoExports, Options,
};
use ferroalloy_value::value::Value;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

use crate::config::ReceiveHttpArguments;
use crate::metrics::Metrics;
use crate::server::{RunningServer, Settings, Shared, bind};

/// A running `pyroscope.receive_http`.
pub struct ReceiveHttp {
    opts: Options,
    shared: Arc<Shared>,
    state: tokio::sync::Mutex<State>,
    status: Mutex<Status>,
    background: TaskTracker,
    kill: CancellationToken,
}

impl std::fmt::Debug for ReceiveHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiveHttp")
            .field("id", &self.opts.id)
            .finish_non_exhaustive()
    }
}

struct State {
    server: Option<RunningServer>,
    args: ReceiveHttpArguments,
    shut_down: bool,
}

struct Status {
    health: Health,
    listen_address: String,
    tls: bool,
    h2c: bool,
}

fn port_of(args: &ReceiveHttpArguments) -> u16 {
    u16::try_from(args.http.listen_port).unwrap_or(0)
}

fn grace_of(args: &ReceiveHttpArguments) -> Duration {
    Duration::from_nanos(u64::try_from(args.graceful_shutdown_timeout.as_nanos()).unwrap_or(0))
}

/// Warn about accepted-but-ignored settings that are set (and were not already set before).
fn warn_ignored(args: &ReceiveHttpArguments, previous: Option<&ReceiveHttpArguments>) {
    if args.grpc.is_some() && previous.is_none_or(|p| p.grpc.is_none()) {
        tracing::warn!(
            "the grpc block is accepted for compatibility and ignored: no grpc server is started"
        );
    }
    let ignored = args.http.http2.ignored_set();
    let before = previous
        .map(|p| p.http.http2.ignored_set())
        .unwrap_or_default();
    if !ignored.is_empty() && ignored != before {
        tracing::warn!(
            attributes = %ignored.join(", "),
            "http2 attributes accepted for compatibility and ignored"
        );
    }
}

impl ReceiveHttp {
    /// The address the server is bound to (`None` after a failed rebind left no listener).
    pub async fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.state
            .lock()
            .await
            .server
            .as_ref()
            .map(RunningServer::local_addr)
    }

    /// The number of open connections.
    pub fn open_connections(&self) -> usize {
        self.shared.open_connections()
    }

    fn status(&self) -> MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set_serving(&self, server: Option<&RunningServer>, args: &ReceiveHttpArguments) {
        let mut status = self.status();
        status.tls = args.http.tls.is_some();
        status.h2c = args.http.http2.enabled;
        match server {
            Some(server) => {
                status.listen_address = server.local_addr().to_string();
                status.health = Health::healthy(format!("listening on {}", server.local_addr()));
            }
            None => status.listen_address = String::new(),
        }
    }

    fn set_unhealthy(&self, message: &str) {
        self.status().health = Health::unhealthy(message);
    }

    fn start_server(&self, listener: tokio::net::TcpListener) -> Result<RunningServer, BuildError> {
        let local_addr = listener
            .local_addr()
            .map_err(|e| BuildError::Other(format!("failed to create server: {e}")))?;
        tracing::info!(address = %local_addr, "pyroscope.receive_http server listening");
        Ok(RunningServer::start(
            listener,
            local_addr,
            self.shared.clone(),
            &self.kill,
            self.opts.span.clone(),
        ))
    }

    /// Let `server`'s connections finish on a background task the component owns.
    fn retire(&self, server: RunningServer, grace: Duration) {
        self.background
            .spawn(async move { server.shutdown(grace).await }.instrument(self.opts.span.clone()));
    }
}

impl Drop for ReceiveHttp {
    fn drop(&mut self) {
        self.kill.cancel();
    }
}

/// Cancels the kill token when Run's future is dropped before it finished.
struct KillGuard {
    kill: CancellationToken,
    armed: bool,
}

impl Drop for KillGuard {
    fn drop(&mut self) {
        if self.armed {
            self.kill.cancel();
        }
    }
}

impl Component for ReceiveHttp {
    type Args = ReceiveHttpArguments;
    type Exports = NoExports;

    async fn build(opts: Options, args: Self::Args) -> Result<Arc<Self>, BuildError> {
        args.validate()?;
        let settings = {
            let _span = opts.span.enter();
            warn_ignored(&args, None);
            Settings::new(&args).map_err(|e| BuildError::Other(e.to_string()))?
        };
        let listener = bind(&args.http.listen_address, port_of(&args))
            .await
            .map_err(BuildError::Other)?;
        let metrics = Metrics::register(&opts.metrics);
        let shared = Arc::new(Shared::new(settings, args.forward_to.clone(), metrics));
        let component = Arc::new(Self {
            opts,
            shared,
            state: tokio::sync::Mutex::new(State {
                server: None,
                args: args.clone(),
                shut_down: false,
            }),
            status: Mutex::new(Status {
                health: Health::healthy("starting"),
                listen_address: String::new(),
                tls: false,
                h2c: false,
            }),
            background: TaskTracker::new(),
            kill: CancellationToken::new(),
        });
        let server = {
            let _span = component.opts.span.enter();
            component.start_server(listener)?
        };
        component.set_serving(Some(&server), &args);
        component.state.lock().await.server = Some(server);
        Ok(component)
    }

    async fn run(self: Arc<Self>, cancel: CancellationToken) -> anyhow::Result<()> {
        let mut guard = KillGuard {
            kill: self.kill.clone(),
            armed: true,
        };
        cancel.cancelled().await;
        let (server, grace) = {
            let mut state = self.state.lock().await;
            state.shut_down = true;
            (state.server.take(), grace_of(&state.args))
        };
        async {
            if let Some(server) = server {
                server.shutdown(grace).await;
            }
            self.background.close();
            self.background.wait().await;
        }
        .instrument(self.opts.span.clone())
        .await;
        self.set_serving(None, &self.state.lock().await.args);
        guard.armed = false;
        Ok(())
    }

    async fn update(&self, args: Self::Args) -> Result<(), BuildError> {
        args.validate()?;
        let settings = {
            let _span = self.opts.span.enter();
            Settings::new(&args).map_err(|e| BuildError::Other(e.to_string()))?
        };
        let mut state = self.state.lock().await;
        if state.shut_down {
            return Ok(());
        }
        {
            let _span = self.opts.span.enter();
            warn_ignored(&args, Some(&state.args));
        }
        let old = &state.args.http;
        let same_address = old.listen_address == args.http.listen_address;
        let same_port = old.listen_port == args.http.listen_port;
        let grace = grace_of(&state.args);
        if !(same_address && same_port && state.server.is_some()) {
            // Compared with the bound port, so `0` → the port it got is a rebind of that port.
            let bound_port = state.server.as_ref().map(|s| s.local_addr().port());
            if port_of(&args) != 0 && bound_port == Some(port_of(&args)) {
                // The old socket would block the new bind: stop accepting there first.
                if let Some(old_server) = state.server.take() {
                    old_server.stop_accepting().await;
                    self.retire(old_server, grace);
                }
            }
            match bind(&args.http.listen_address, port_of(&args)).await {
                Ok(listener) => {
                    let server = {
                        let _span = self.opts.span.enter();
                        self.start_server(listener)?
                    };
                    if let Some(old_server) = state.server.replace(server) {
                        self.retire(old_server, grace);
                    }
                }
                Err(message) => {
                    tracing::error!(parent: &self.opts.span, error = %message, "failed to move the server");
                    self.set_unhealthy(&message);
                    if state.server.is_none() {
                        // No listener is left: the other settings still apply to the next one.
                        self.set_serving(None, &args);
                        self.shared.set_settings(settings);
                        self.shared.set_receivers(args.forward_to.clone());
                        state.args = args;
                    }
                    return Err(BuildError::Other(message));
                }
            }
        }
        self.shared.set_settings(settings);
        self.shared.set_receivers(args.forward_to.clone());
        self.set_serving(state.server.as_ref(), &args);
        state.args = args;
        Ok(())
    }

    fn health(&self) -> Option<Health> {
        Some(self.status().health.clone())
    }

    fn debug_info(&self) -> Option<EncodedBody> {
        let status = self.status();
        let mut body = EncodedBody::new();
        body.attr(
            "listen_address",
            Value::string(status.listen_address.as_str()),
        );
        body.attr("tls", Value::Bool(status.tls));
        body.attr("http2_cleartext", Value::Bool(status.h2c));
        Some(body)
    }
}
