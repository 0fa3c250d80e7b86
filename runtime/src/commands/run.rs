//! `ferroalloy run [flags] <path>` (runtime §7.4, §8, §13.1).
//!
//! Order of start-up, each step failing with exit status 1 and one `Error: …` line: install the
//! logger, create `--storage.path`, bind the listener (before the initial load, so `/-/ready`
//! answers 503 while it runs: R1), start serving, run the initial load. A failed initial load
//! prints every diagnostic in the pretty form, then
//! `Error: could not perform the initial load successfully`.
//!
//! Design decisions:
//! - Flags follow Alloy's Go flag syntax: booleans are `--flag` or `--flag=<bool>` (never a
//!   separate word), so `--config.watch false` is not silently read as a path. Flags Alloy has
//!   and ferroalloy does not need are accepted with a warning; the ones whose effect we cannot
//!   give (`--cluster.enabled`, another `--config.format`) are usage errors (exit 2).
//! - `SIGHUP` only stores one wake-up permit for a reload task, so a signal flood queues at most
//!   one reload behind the running one; loads themselves are serialized by the controller.
//! - Shutdown (§8): the controller stops readiness and reloads and drains components layer by
//!   layer; the file watcher and the reload task stop first, the HTTP server last (so `/-/ready`
//!   keeps answering 503 during the drain). A second `SIGINT`/`SIGTERM` at any point of it aborts
//!   and exits with status 1 at once.

#![allow(
    clippy::print_stderr,
    reason = "run reports start-up failures and the initial load's diagnostics on stderr by contract (runtime §7.4, §13.4)"
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::ExitStatus;
use crate::config::checks::StabilityLevel;
use crate::config::sources::read_sources;
use crate::controller::{Controller, ControllerConfig};
use crate::logging::Logging;
use crate::server::{self, HttpServer, ServerError};
use crate::status::{ControlPlane, LoadOutcome, LogLevel, Trigger};
use crate::{report, watch};

/// How long, beyond the HTTP server's own grace period, shutdown waits for the last tasks
/// (an initial load interrupted by the signal) before the process exits anyway.
const STRAGGLER_GRACE: Duration = Duration::from_secs(5);

/// Arguments of `ferroalloy run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// `host:port` of the HTTP server; port 0 picks a free port (logged).
    #[arg(
        long = "server.http.listen-addr",
        default_value = "127.0.0.1:12345",
        value_parser = parse_listen_addr
    )]
    pub listen_addr: String,
    /// Prefix for the UI and the web API.
    #[arg(long = "server.http.ui-path-prefix", default_value = "/")]
    pub ui_path_prefix: String,
    /// Root of the components' data paths; created at start-up when missing.
    #[arg(long = "storage.path", default_value = "data-alloy/")]
    pub storage_path: PathBuf,
    /// Log level: debug, info, warn or error.
    #[arg(long = "log.level", default_value = "info", value_parser = LogLevel::parse)]
    pub log_level: LogLevel,
    /// Minimum stability level of the features the configuration may use.
    #[arg(
        long = "stability.level",
        value_enum,
        default_value = "generally-available"
    )]
    pub stability_level: StabilityLevel,
    /// Reload when the configuration files change.
    #[arg(
        long = "config.watch",
        default_value = "true",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = parse_go_bool
    )]
    pub config_watch: bool,
    /// How long shutdown and component removal wait for components to stop (Go duration).
    #[arg(
        long = "feature.component-shutdown-deadline",
        default_value = "10m",
        value_parser = parse_deadline
    )]
    pub shutdown_deadline: Duration,
    /// Accepted for Alloy compatibility; no effect.
    #[arg(long = "disable-reporting", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = parse_go_bool)]
    pub disable_reporting: Option<bool>,
    /// Serve a CPU profile of this process at `/debug/pprof/profile?seconds=N`.
    #[arg(long = "server.http.enable-pprof", default_value = "true", num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub enable_pprof: bool,
    /// Accepted for Alloy compatibility; no effect.
    #[arg(long = "server.http.memory-addr")]
    pub memory_addr: Option<String>,
    /// Accepted for Alloy compatibility; no effect.
    #[arg(long = "server.http.disable-support-bundle", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = parse_go_bool)]
    pub disable_support_bundle: Option<bool>,
    /// Accepted for Alloy compatibility; no effect.
    #[arg(long = "feature.community-components.enabled", num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub community_components: Option<bool>,
    /// Only `alloy` is accepted.
    #[arg(long = "config.format", value_parser = parse_config_format)]
    pub config_format: Option<String>,
    /// Only `false` is accepted: ferroalloy does not cluster.
    #[arg(long = "cluster.enabled", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = parse_cluster_enabled)]
    pub cluster_enabled: Option<bool>,
    /// A configuration file, or a directory of `.alloy` files.
    pub path: PathBuf,
}

fn parse_listen_addr(text: &str) -> Result<String, String> {
    server::parse_listen_addr(text)
        .map(|_| text.to_owned())
        .map_err(|err| err.to_string())
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(text: &str) -> Result<bool, String> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        other => Err(format!("invalid boolean value {other:?}")),
    }
}

fn parse_deadline(text: &str) -> Result<Duration, String> {
    let duration =
        ferroalloy_value::duration::Duration::parse(text).map_err(|err| err.to_string())?;
    duration
        .to_std()
        .ok_or_else(|| format!("the deadline {text:?} is negative"))
}

fn parse_config_format(text: &str) -> Result<String, String> {
    if text == "alloy" {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "unsupported config format {text:?}: ferroalloy reads only the alloy format"
        ))
    }
}

fn parse_cluster_enabled(text: &str) -> Result<bool, String> {
    match parse_go_bool(text)? {
        false => Ok(false),
        true => Err("clustering is not supported by ferroalloy".to_owned()),
    }
}

/// The flags given that have no effect, as written on the command line.
fn ignored_flags(args: &RunArgs) -> Vec<&'static str> {
    let mut flags = Vec::new();
    let given = [
        (args.disable_reporting.is_some(), "--disable-reporting"),
        (args.memory_addr.is_some(), "--server.http.memory-addr"),
        (
            args.disable_support_bundle.is_some(),
            "--server.http.disable-support-bundle",
        ),
        (
            args.community_components.is_some(),
            "--feature.community-components.enabled",
        ),
        (args.config_format.is_some(), "--config.format"),
        (args.cluster_enabled.is_some(), "--cluster.enabled"),
    ];
    for (is_given, flag) in given {
        if is_given {
            flags.push(flag);
        }
    }
    flags
}

/// Run the command.
pub fn run(args: &RunArgs) -> ExitStatus {
    let logging = Logging::stderr(args.log_level);
    if let Err(err) = logging.install() {
        eprintln!("Error: {err}");
        return ExitStatus::Failure;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("Error: failed to start the async runtime: {err}");
            return ExitStatus::Failure;
        }
    };
    let ended = runtime.block_on(run_async(args, logging));
    match ended {
        Ended::Status(status) => {
            runtime.shutdown_timeout(Duration::from_secs(1));
            status
        }
        Ended::Aborted => {
            runtime.shutdown_background();
            ExitStatus::Failure
        }
    }
}

/// How the async part ended.
enum Ended {
    /// Normally, with this status.
    Status(ExitStatus),
    /// A second signal: leave at once without waiting for anything.
    Aborted,
}

/// The termination signals.
struct Signals {
    hangup: Signal,
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    fn install() -> std::io::Result<Self> {
        Ok(Self {
            hangup: signal(SignalKind::hangup())?,
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The next `SIGINT` or `SIGTERM`.
    async fn termination(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

async fn run_async(args: &RunArgs, logging: Logging) -> Ended {
    for flag in ignored_flags(args) {
        tracing::warn!("the {flag} flag has no effect in ferroalloy");
    }
    if let Err(err) = std::fs::create_dir_all(&args.storage_path) {
        eprintln!(
            "Error: failed to create the storage path {}: {err}",
            args.storage_path.display()
        );
        return Ended::Status(ExitStatus::Failure);
    }
    let mut signals = match Signals::install() {
        Ok(signals) => signals,
        Err(err) => {
            eprintln!("Error: failed to install signal handlers: {err}");
            return Ended::Status(ExitStatus::Failure);
        }
    };
    let server = match HttpServer::bind(&args.listen_addr).await {
        Ok(server) => server,
        Err(err @ ServerError::InvalidAddress { .. }) => {
            eprintln!("Error: {err}");
            return Ended::Status(ExitStatus::Usage);
        }
        Err(err) => {
            eprintln!("Error: {err}");
            return Ended::Status(ExitStatus::Failure);
        }
    };
    tracing::info!(addr = %server.local_addr(), "now listening");

    let registry = match ferroalloy_components::register_all() {
        Ok(registry) => registry,
        Err(err) => {
            eprintln!("Error: {err}");
            return Ended::Status(ExitStatus::Failure);
        }
    };
    let stability = match args.stability_level.as_str().parse() {
        Ok(stability) => stability,
        Err(err) => {
            eprintln!("Error: {err}");
            return Ended::Status(ExitStatus::Usage);
        }
    };
    let controller = Controller::new(ControllerConfig {
        registry,
        config_path: args.path.clone(),
        storage_path: args.storage_path.clone(),
        stability,
        shutdown_deadline: args.shutdown_deadline,
        logging: Arc::new(logging),
    });
    let control: Arc<dyn ControlPlane> = controller.clone();

    let tasks = TaskTracker::new();
    let server_stop = CancellationToken::new();
    let mut router = server::router(control.clone(), &args.ui_path_prefix);
    if args.enable_pprof {
        router = router.merge(server::pprof::router());
    }
    tasks.spawn(server.serve(router, server_stop.clone()));
    let background_stop = CancellationToken::new();
    // Armed before the initial load, so a change made as soon as `/-/ready` answers 200 is seen;
    // a change during the load is compared with the hash that load read.
    if args.config_watch
        && let Err(err) = watch::spawn(&args.path, control.clone(), background_stop.clone(), &tasks)
    {
        tracing::warn!(error = %err, "configuration files are not watched");
    }

    let initial = {
        let controller = controller.clone();
        tasks.spawn(async move { controller.load(Trigger::Startup).await })
    };
    let initial = tokio::select! {
        joined = initial => joined.ok().flatten(),
        () = signals.termination() => {
            tracing::info!("received a termination signal during the initial load, shutting down");
            return shut_down(&controller, &mut signals, &tasks, &server_stop, &background_stop)
                .await;
        }
    };
    if !initial.is_some_and(|report| report.outcome == LoadOutcome::Ok) {
        if let Some(report) = initial_report_text(initial_diagnostics(&controller), args) {
            eprint!("{report}");
        }
        eprintln!("Error: could not perform the initial load successfully");
        background_stop.cancel();
        server_stop.cancel();
        tasks.close();
        tasks.wait().await;
        return Ended::Status(ExitStatus::Failure);
    }
    tracing::info!("ferroalloy is running");

    let hangups = Arc::new(Notify::new());
    {
        let hangups = hangups.clone();
        let control = control.clone();
        let stop = background_stop.clone();
        tasks.spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = hangups.notified() => {}
                }
                // Not raced against `stop`: a load is never dropped half-way.
                let _ = control.reload(Trigger::Signal).await;
            }
        });
    }

    loop {
        tokio::select! {
            _ = signals.hangup.recv() => {
                tracing::info!("received SIGHUP, reloading");
                hangups.notify_one();
            }
            _ = signals.interrupt.recv() => break,
            _ = signals.terminate.recv() => break,
        }
    }
    tracing::info!("received a termination signal, shutting down");
    shut_down(
        &controller,
        &mut signals,
        &tasks,
        &server_stop,
        &background_stop,
    )
    .await
}

/// The diagnostics of the failed initial load, from the reload status.
fn initial_diagnostics(controller: &Controller) -> Option<ferroalloy_syntax::Diagnostics> {
    controller
        .reload_status()
        .last_reload
        .map(|report| report.diagnostics)
}

/// The pretty form of the initial load's diagnostics, with excerpts from the sources as they
/// are now on disk.
fn initial_report_text(
    diagnostics: Option<ferroalloy_syntax::Diagnostics>,
    args: &RunArgs,
) -> Option<String> {
    let diagnostics = diagnostics.filter(|d| !d.is_empty())?;
    let files = read_sources(&args.path)
        .map(|(sources, _)| sources.files)
        .unwrap_or_default();
    let mut text = report::pretty(&diagnostics, &files, report::stderr_wants_color());
    text.push('\n');
    Some(text)
}

/// Runtime §8: stop watching and reloading, drain the components, stop the server. A second
/// termination signal at any point aborts.
async fn shut_down(
    controller: &Arc<Controller>,
    signals: &mut Signals,
    tasks: &TaskTracker,
    server_stop: &CancellationToken,
    background_stop: &CancellationToken,
) -> Ended {
    background_stop.cancel();
    let drained = tokio::select! {
        report = controller.shutdown() => Some(report),
        () = signals.termination() => None,
    };
    let Some(report) = drained else {
        controller.abort_shutdown();
        tracing::error!("received a second termination signal, exiting at once");
        return Ended::Aborted;
    };
    if report.interrupted {
        return Ended::Aborted;
    }
    server_stop.cancel();
    tasks.close();
    tokio::select! {
        () = tasks.wait() => {}
        () = tokio::time::sleep(server::SHUTDOWN_GRACE + STRAGGLER_GRACE) => {
            // Only an initial load stuck in a component's build can still be running here.
            tracing::warn!("a load was still running at exit");
        }
        () = signals.termination() => {
            tracing::error!("received a second termination signal, exiting at once");
            return Ended::Aborted;
        }
    }
    tracing::info!("ferroalloy stopped");
    Ended::Status(ExitStatus::Success)
}
