//! Log lines on stderr (runtime §12): `logfmt` or `json`, level and format switchable at run time.
//!
//! Design decisions:
//! - One [`tracing_subscriber::Layer`] writes every line itself instead of configuring
//!   `tracing_subscriber::fmt`: the key order (`ts`, `level`, `msg`, span fields from the
//!   outermost span in, then the event's fields) and the two formats are part of the contract,
//!   and the level and format live in atomics so the `logging` block can change them without
//!   rebuilding the subscriber ([`Logging`] implements [`LoggingControl`]).
//! - Callsites are registered as "sometimes" so the level can move both ways at run time; the
//!   check per event is two atomic loads.
//! - Spans at `info` and above are always recorded (their fields, such as a component's
//!   `component_path=/ component_id=<id>`, are copied into every event inside them); events below
//!   `info` are shown only from ferroalloy's own crates, so `debug` does not flood the log with
//!   the HTTP stack's internals. `trace` is never shown.
//! - A line is formatted completely before the sink is locked and written with one call, so
//!   lines of concurrent events never interleave.

use std::fmt::{self, Write as _};
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

pub use ferroalloy_component::timestamp::{rfc3339_millis, rfc3339_nanos};

use crate::status::{LogFormat, LogLevel, LogSettings, LoggingControl};

/// Why the process-wide logger could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// Another global subscriber was installed first.
    #[error("failed to install the logger: {0}")]
    AlreadyInstalled(#[from] tracing::subscriber::SetGlobalDefaultError),
}

/// The process's logger: where lines go and the current level and format.
///
/// Cloning shares the same state, so a clone handed to the controller switches the installed
/// layer.
#[derive(Clone)]
pub struct Logging {
    shared: Arc<Shared>,
}

struct Shared {
    /// `--log.level`: the level when the `logging` block sets none.
    default_level: LogLevel,
    level: AtomicU8,
    format: AtomicU8,
    sink: Mutex<Box<dyn Write + Send>>,
}

impl fmt::Debug for Logging {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logging")
            .field("level", &self.level())
            .field("format", &self.format())
            .finish()
    }
}

impl Logging {
    /// A logger writing to `sink` at `default_level` in `logfmt`.
    pub fn new(default_level: LogLevel, sink: Box<dyn Write + Send>) -> Self {
        Self {
            shared: Arc::new(Shared {
                default_level,
                level: AtomicU8::new(level_code(default_level)),
                format: AtomicU8::new(format_code(LogFormat::Logfmt)),
                sink: Mutex::new(sink),
            }),
        }
    }

    /// A logger writing to stderr.
    pub fn stderr(default_level: LogLevel) -> Self {
        Self::new(default_level, Box::new(std::io::stderr()))
    }

    /// The layer that writes this logger's lines; add it to a registry.
    pub fn layer(&self) -> LogLayer {
        LogLayer {
            shared: self.shared.clone(),
        }
    }

    /// Install this logger as the process-wide subscriber.
    pub fn install(&self) -> Result<(), LoggingError> {
        let subscriber = tracing_subscriber::registry().with(self.layer());
        tracing::subscriber::set_global_default(subscriber)?;
        Ok(())
    }

    /// The level in force.
    pub fn level(&self) -> LogLevel {
        level_from_code(self.shared.level.load(Ordering::Relaxed))
    }

    /// The format in force.
    pub fn format(&self) -> LogFormat {
        if self.shared.format.load(Ordering::Relaxed) == format_code(LogFormat::Json) {
            LogFormat::Json
        } else {
            LogFormat::Logfmt
        }
    }
}

impl LoggingControl for Logging {
    fn apply(&self, settings: LogSettings) -> Result<(), String> {
        let level = settings.level.unwrap_or(self.shared.default_level);
        self.shared
            .level
            .store(level_code(level), Ordering::Relaxed);
        self.shared
            .format
            .store(format_code(settings.format), Ordering::Relaxed);
        Ok(())
    }
}

fn level_code(level: LogLevel) -> u8 {
    match level {
        LogLevel::Debug => 0,
        LogLevel::Info => 1,
        LogLevel::Warn => 2,
        LogLevel::Error => 3,
    }
}

fn level_from_code(code: u8) -> LogLevel {
    match code {
        0 => LogLevel::Debug,
        1 => LogLevel::Info,
        2 => LogLevel::Warn,
        _ => LogLevel::Error,
    }
}

fn format_code(format: LogFormat) -> u8 {
    match format {
        LogFormat::Logfmt => 0,
        LogFormat::Json => 1,
    }
}

/// The importance of a tracing level on the scale of [`LogLevel`]; `None` for `trace`.
fn tracing_level_code(level: &Level) -> Option<u8> {
    match *level {
        Level::ERROR => Some(3),
        Level::WARN => Some(2),
        Level::INFO => Some(1),
        Level::DEBUG => Some(0),
        _ => None,
    }
}

/// The [`Layer`] of a [`Logging`]: filters by the current level and writes one line per event.
pub struct LogLayer {
    shared: Arc<Shared>,
}

impl LogLayer {
    fn shows(&self, metadata: &Metadata<'_>) -> bool {
        let Some(code) = tracing_level_code(metadata.level()) else {
            return false;
        };
        if metadata.is_span() {
            return code >= 1;
        }
        if code < self.shared.level.load(Ordering::Relaxed) {
            return false;
        }
        code >= 1 || metadata.target().starts_with("ferroalloy")
    }
}

/// The fields of one span, formatted when the span was created or recorded.
struct SpanFields(Vec<(&'static str, FieldValue)>);

impl<S> Layer<S> for LogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.shows(metadata)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = FieldCollector::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut recorded = FieldCollector::default();
        values.record(&mut recorded);
        if let Some(span) = ctx.span(id) {
            let mut extensions = span.extensions_mut();
            if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
                for (name, value) in recorded.fields {
                    match fields.iter_mut().find(|(n, _)| *n == name) {
                        Some(slot) => slot.1 = value,
                        None => fields.push((name, value)),
                    }
                }
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if !self.shows(event.metadata()) {
            return;
        }
        let mut collected = FieldCollector::default();
        event.record(&mut collected);
        let mut fields: Vec<(&'static str, FieldValue)> = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(span_fields)) = span.extensions().get::<SpanFields>() {
                    fields.extend(span_fields.iter().cloned());
                }
            }
        }
        fields.extend(collected.fields);
        let line = LogLine {
            time: SystemTime::now(),
            level: event.metadata().level(),
            message: collected.message.as_deref().unwrap_or(""),
            fields: &fields,
        };
        let text = if self.shared.format.load(Ordering::Relaxed) == format_code(LogFormat::Json) {
            line.json()
        } else {
            line.logfmt()
        };
        let mut sink = match self.shared.sink.lock() {
            Ok(sink) => sink,
            Err(poisoned) => poisoned.into_inner(),
        };
        // A log line that cannot be written has nowhere else to go.
        let _ = sink.write_all(text.as_bytes());
        let _ = sink.flush();
    }
}

/// One field value, keeping numbers and booleans typed for the JSON format.
#[derive(Clone, Debug)]
enum FieldValue {
    Text(String),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Text(text) => f.write_str(text),
            FieldValue::I64(n) => write!(f, "{n}"),
            FieldValue::U64(n) => write!(f, "{n}"),
            FieldValue::F64(n) => write!(f, "{n}"),
            FieldValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

#[derive(Default)]
struct FieldCollector {
    message: Option<String>,
    fields: Vec<(&'static str, FieldValue)>,
}

impl FieldCollector {
    fn push(&mut self, field: &Field, value: FieldValue) {
        if field.name() == "message" {
            self.message = Some(value.to_string());
        } else {
            self.fields.push((field.name(), value));
        }
    }
}

impl Visit for FieldCollector {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field, FieldValue::F64(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, FieldValue::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field, FieldValue::U64(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, FieldValue::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, FieldValue::Text(value.to_owned()));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.push(field, FieldValue::Text(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field, FieldValue::Text(format!("{value:?}")));
    }
}

struct LogLine<'a> {
    time: SystemTime,
    level: &'a Level,
    message: &'a str,
    fields: &'a [(&'static str, FieldValue)],
}

impl LogLine<'_> {
    fn level_name(&self) -> &'static str {
        match *self.level {
            Level::ERROR => "error",
            Level::WARN => "warn",
            Level::INFO => "info",
            _ => "debug",
        }
    }

    fn logfmt(&self) -> String {
        let mut line = String::with_capacity(128);
        line.push_str("ts=");
        line.push_str(&rfc3339_millis(self.time));
        line.push_str(" level=");
        line.push_str(self.level_name());
        line.push_str(" msg=");
        push_quoted(&mut line, self.message);
        for (name, value) in self.fields {
            line.push(' ');
            push_key(&mut line, name);
            line.push('=');
            push_logfmt_value(&mut line, &value.to_string());
        }
        line.push('\n');
        line
    }

    fn json(&self) -> String {
        use serde_json::{Map, Value};
        let mut object = Map::new();
        object.insert("ts".to_owned(), Value::String(rfc3339_millis(self.time)));
        object.insert(
            "level".to_owned(),
            Value::String(self.level_name().to_owned()),
        );
        object.insert("msg".to_owned(), Value::String(self.message.to_owned()));
        for (name, value) in self.fields {
            let json = match value {
                FieldValue::Text(text) => Value::String(text.clone()),
                FieldValue::I64(n) => Value::from(*n),
                FieldValue::U64(n) => Value::from(*n),
                FieldValue::F64(n) => serde_json::Number::from_f64(*n)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(n.to_string())),
                FieldValue::Bool(b) => Value::Bool(*b),
            };
            object.insert((*name).to_owned(), json);
        }
        let mut line = Value::Object(object).to_string();
        line.push('\n');
        line
    }
}

/// A logfmt key: characters that would break the `key=value` structure become `_`.
fn push_key(out: &mut String, key: &str) {
    if key.is_empty() {
        out.push('_');
        return;
    }
    for c in key.chars() {
        if c <= ' ' || c == '=' || c == '"' || c.is_control() {
            out.push('_');
        } else {
            out.push(c);
        }
    }
}

/// A logfmt value, quoted only when it is empty or holds a space, `=`, `"` or a control
/// character (as go-logfmt does).
fn push_logfmt_value(out: &mut String, value: &str) {
    let needs_quotes = value.is_empty()
        || value
            .chars()
            .any(|c| c <= ' ' || c == '=' || c == '"' || c.is_control());
    if needs_quotes {
        push_quoted(out, value);
    } else {
        out.push_str(value);
    }
}

fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buffer {
        fn take(&self) -> String {
            String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
        }
    }

    fn logger(level: LogLevel) -> (Logging, Buffer) {
        let buffer = Buffer::default();
        (Logging::new(level, Box::new(buffer.clone())), buffer)
    }

    #[test]
    fn logfmt_lines_carry_time_level_message_span_and_event_fields() {
        let (logging, buffer) = logger(LogLevel::Info);
        let subscriber = tracing_subscriber::registry().with(logging.layer());
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("component", component_path = "/", component_id = %"local.file.k");
            let _entered = span.enter();
            tracing::info!(addr = "127.0.0.1:4", count = 3, "now listening");
        });
        let text = buffer.take();
        let line = text.strip_suffix('\n').unwrap();
        let (ts, rest) = line.split_once(' ').unwrap();
        assert!(
            ts.starts_with("ts=") && ts.ends_with('Z') && ts.len() == 27,
            "{ts}"
        );
        assert_eq!(
            rest,
            "level=info msg=\"now listening\" component_path=/ component_id=local.file.k \
             addr=127.0.0.1:4 count=3"
        );
    }

    #[test]
    fn level_and_format_switch_at_run_time() {
        let (logging, buffer) = logger(LogLevel::Info);
        let subscriber = tracing_subscriber::registry().with(logging.layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!("hidden");
            logging
                .apply(LogSettings {
                    level: Some(LogLevel::Debug),
                    format: LogFormat::Json,
                })
                .unwrap();
            tracing::debug!(flag = true, "shown");
            logging.apply(LogSettings::default()).unwrap();
            tracing::debug!("hidden again");
            tracing::warn!(why = "a \"quoted\" = value", "careful");
        });
        let text = buffer.take();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let json: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(json["level"], "debug");
        assert_eq!(json["msg"], "shown");
        assert_eq!(json["flag"], true);
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["ts", "level", "msg", "flag"]);
        assert!(
            lines[1].ends_with(r#"level=warn msg="careful" why="a \"quoted\" = value""#),
            "{}",
            lines[1]
        );
        assert_eq!(logging.level(), LogLevel::Info);
        assert_eq!(logging.format(), LogFormat::Logfmt);
    }

    #[test]
    fn error_level_hides_warnings_and_debug_is_limited_to_our_crates() {
        let (logging, buffer) = logger(LogLevel::Error);
        let subscriber = tracing_subscriber::registry().with(logging.layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!("hidden");
            tracing::error!("shown");
            logging
                .apply(LogSettings {
                    level: Some(LogLevel::Debug),
                    format: LogFormat::Logfmt,
                })
                .unwrap();
            tracing::debug!(target: "h2::proto", "not ours");
            tracing::trace!("never");
        });
        let text = buffer.take();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains("level=error msg=\"shown\""), "{text}");
    }
}
