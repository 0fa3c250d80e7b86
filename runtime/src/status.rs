//! What the runtime tells the outside world: load reports, reload status and component
//! snapshots, and the [`ControlPlane`] trait the HTTP server and the command line drive the
//! runtime through.
//!
//! The server depends on this trait, not on the controller, so it can be tested against a
//! scripted control plane and the controller can change without touching the routes.

use std::time::{Duration, SystemTime};

use ferroalloy_component::{BoxFuture, Health};
use ferroalloy_syntax::Diagnostics;
use ferroalloy_value::Object;
use ferroalloy_value::decode::EncodedBody;

/// What started a load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// The initial load.
    Startup,
    /// `SIGHUP`.
    Signal,
    /// `GET`/`POST /-/reload`.
    Http,
    /// A change of the configuration files.
    Watch,
}

impl Trigger {
    /// The trigger's name in the API and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Startup => "startup",
            Trigger::Signal => "signal",
            Trigger::Http => "http",
            Trigger::Watch => "watch",
        }
    }
}

/// How a load ended (runtime §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoadOutcome {
    /// No errors: everything applied.
    Ok,
    /// Only component evaluation failures: applied, failed components keep their last good
    /// arguments and exports.
    Partial,
    /// Reading, parsing or graph errors: nothing changed.
    Rejected,
}

impl LoadOutcome {
    /// The outcome's name in the API and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            LoadOutcome::Ok => "ok",
            LoadOutcome::Partial => "partial",
            LoadOutcome::Rejected => "rejected",
        }
    }
}

/// The record of one load (runtime §7.3, §10.3).
#[derive(Clone, Debug)]
pub struct LoadReport {
    /// When the load started.
    pub time: SystemTime,
    /// What started it.
    pub trigger: Trigger,
    /// How it ended.
    pub outcome: LoadOutcome,
    /// How long it took.
    pub duration: Duration,
    /// Lower-case hex SHA-256 of the sources (names and contents); empty when they could not
    /// be read.
    pub config_hash: String,
    /// The source files' names, in load order.
    pub files: Vec<String>,
    /// Every diagnostic of the load, warnings included.
    pub diagnostics: Diagnostics,
}

/// The last load and the last successful one.
#[derive(Clone, Debug, Default)]
pub struct ReloadStatus {
    /// The most recent load, if any has run.
    pub last_reload: Option<LoadReport>,
    /// Time and hash of the most recent load whose outcome was `ok`.
    pub last_success: Option<(SystemTime, String)>,
}

/// A snapshot of one component for the API (runtime §10.1).
#[derive(Clone, Debug)]
pub struct ComponentInfo {
    /// `pyroscope.write.default`
    pub id: String,
    /// `pyroscope.write`
    pub name: String,
    /// `default`; `None` when the block has no label.
    pub label: Option<String>,
    /// Ids this component references, sorted.
    pub references_to: Vec<String>,
    /// Ids that reference this component, sorted.
    pub referenced_by: Vec<String>,
    /// Ids this component sends data to, sorted.
    pub data_flow_edges_to: Vec<String>,
    /// The shown health.
    pub health: Health,
    /// The applied arguments; `None` when the component was never built.
    pub arguments: Option<EncodedBody>,
    /// The current exports; `None` when none were published.
    pub exports: Option<Object>,
    /// The component's debug info.
    pub debug_info: Option<EncodedBody>,
}

/// The runtime as the HTTP server and the signal handlers see it.
pub trait ControlPlane: Send + Sync + 'static {
    /// Run a load now (loads are serialized) and report it. After shutdown has begun, returns
    /// `None` at once.
    fn reload(&self, trigger: Trigger) -> BoxFuture<'_, Option<LoadReport>>;
    /// Every component in evaluation order.
    fn components(&self) -> Vec<ComponentInfo>;
    /// One component.
    fn component(&self, id: &str) -> Option<ComponentInfo>;
    /// The reload status.
    fn reload_status(&self) -> ReloadStatus;
    /// Append the Prometheus text exposition of the runtime's and every component's metrics,
    /// families of one name merged (runtime §12), without `# EOF`.
    fn encode_metrics(&self, out: &mut String);
    /// Whether the initial load succeeded and shutdown has not begun.
    fn is_ready(&self) -> bool;
    /// Whether shutdown has begun.
    fn is_shutting_down(&self) -> bool;
}

/// Log verbosity (the `logging` block's `level`, or `--log.level`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogLevel {
    /// Everything.
    Debug,
    /// The default.
    Info,
    /// Warnings and errors.
    Warn,
    /// Errors only.
    Error,
}

impl LogLevel {
    /// Parse a level name; the error is the `logging` block's message.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "debug" => Ok(LogLevel::Debug),
            "info" => Ok(LogLevel::Info),
            "warn" => Ok(LogLevel::Warn),
            "error" => Ok(LogLevel::Error),
            other => Err(format!("unrecognized log level {other:?}")),
        }
    }

    /// The level's name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// Log line format (the `logging` block's `format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum LogFormat {
    /// `ts=… level=… msg="…" key=value…`
    #[default]
    Logfmt,
    /// One JSON object per line with the same keys.
    Json,
}

impl LogFormat {
    /// Parse a format name; the error is the `logging` block's message.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "logfmt" => Ok(LogFormat::Logfmt),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("unrecognized log format {other:?}")),
        }
    }
}

/// The settings of the `logging` block (runtime §2); `level: None` means `--log.level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LogSettings {
    /// The level, when the block sets one.
    pub level: Option<LogLevel>,
    /// The line format.
    pub format: LogFormat,
}

/// Applies logging settings to the running process (implemented by the binary's logging setup;
/// called by the controller when the `logging` node is evaluated).
pub trait LoggingControl: Send + Sync + 'static {
    /// Switch to `settings` at once; an error keeps the previous settings.
    fn apply(&self, settings: LogSettings) -> Result<(), String>;
}
