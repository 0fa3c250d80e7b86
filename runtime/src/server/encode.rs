//! The JSON bodies of the web API (runtime §10.1–§10.3), built key by key in Alloy's order.
//!
//! `serde_json` keeps insertion order (the workspace enables `preserve_order`), so each object
//! is written in the order the spec shows. Values go through
//! [`ferroalloy_value::api_json`], which never turns a secret back into text.

use ferroalloy_component::HealthState;
use ferroalloy_syntax::Diagnostic;
use ferroalloy_value::Object;
use ferroalloy_value::api_json;
use serde_json::{Map, Value as Json};

use crate::logging::rfc3339_nanos;
use crate::status::{ComponentInfo, LoadReport, ReloadStatus};

/// Which form of the component object to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComponentForm {
    /// `/api/v0/web/components`: `arguments`, `exports` and `debugInfo` are `[]`.
    List,
    /// `/api/v0/web/components/{id}`: applied arguments, exports and debug info.
    Detail,
}

/// The component object of runtime §10.1.
pub fn component(info: &ComponentInfo, form: ComponentForm) -> Json {
    let mut object = Map::new();
    object.insert("name".to_owned(), Json::String(info.name.clone()));
    object.insert("type".to_owned(), Json::String("block".to_owned()));
    object.insert("localID".to_owned(), Json::String(info.id.clone()));
    object.insert("moduleID".to_owned(), Json::String(String::new()));
    if let Some(label) = info.label.as_deref().filter(|label| !label.is_empty()) {
        object.insert("label".to_owned(), Json::String(label.to_owned()));
    }
    object.insert("referencesTo".to_owned(), strings(&info.references_to));
    object.insert("referencedBy".to_owned(), strings(&info.referenced_by));
    object.insert(
        "dataFlowEdgesTo".to_owned(),
        strings(&info.data_flow_edges_to),
    );
    let mut health = Map::new();
    health.insert(
        "state".to_owned(),
        Json::String(info.health.state.as_str().to_owned()),
    );
    health.insert(
        "message".to_owned(),
        Json::String(info.health.message.clone()),
    );
    health.insert(
        "updatedTime".to_owned(),
        Json::String(rfc3339_nanos(info.health.updated)),
    );
    object.insert("health".to_owned(), Json::Object(health));
    object.insert("original".to_owned(), Json::String(String::new()));
    let empty = || Json::Array(Vec::new());
    let (arguments, exports, debug_info) = match form {
        ComponentForm::List => (empty(), empty(), empty()),
        ComponentForm::Detail => (
            info.arguments
                .as_ref()
                .map_or_else(empty, |body| body.to_api_json()),
            info.exports.as_ref().map_or_else(empty, exports_body),
            info.debug_info
                .as_ref()
                .map_or_else(empty, |body| body.to_api_json()),
        ),
    };
    object.insert("arguments".to_owned(), arguments);
    object.insert("exports".to_owned(), exports);
    object.insert("debugInfo".to_owned(), debug_info);
    object.insert("liveDebuggingEnabled".to_owned(), Json::Bool(false));
    Json::Object(object)
}

/// Exports as a body of attributes, in the order of the exports type's fields.
fn exports_body(exports: &Object) -> Json {
    Json::Array(
        exports
            .iter()
            .map(|(name, value)| api_json::encode_attribute(name, value))
            .collect(),
    )
}

fn strings(items: &[String]) -> Json {
    Json::Array(items.iter().cloned().map(Json::String).collect())
}

/// Whether a shown state makes `/-/healthy` fail.
pub fn is_failing(state: HealthState) -> bool {
    matches!(state, HealthState::Unhealthy | HealthState::Exited)
}

/// The reload-status object of runtime §10.3.
pub fn reload_status(status: &ReloadStatus) -> Json {
    let mut object = Map::new();
    object.insert(
        "lastReload".to_owned(),
        status.last_reload.as_ref().map_or(Json::Null, load_report),
    );
    let last_success = match &status.last_success {
        Some((time, hash)) => {
            let mut success = Map::new();
            success.insert("time".to_owned(), Json::String(rfc3339_nanos(*time)));
            success.insert("configHash".to_owned(), Json::String(hash.clone()));
            Json::Object(success)
        }
        None => Json::Null,
    };
    object.insert("lastSuccess".to_owned(), last_success);
    Json::Object(object)
}

fn load_report(report: &LoadReport) -> Json {
    let mut object = Map::new();
    object.insert("time".to_owned(), Json::String(rfc3339_nanos(report.time)));
    object.insert(
        "trigger".to_owned(),
        Json::String(report.trigger.as_str().to_owned()),
    );
    object.insert(
        "outcome".to_owned(),
        Json::String(report.outcome.as_str().to_owned()),
    );
    let seconds = serde_json::Number::from_f64(report.duration.as_secs_f64())
        .map_or(Json::Null, Json::Number);
    object.insert("durationSeconds".to_owned(), seconds);
    object.insert(
        "configHash".to_owned(),
        Json::String(report.config_hash.clone()),
    );
    object.insert("files".to_owned(), strings(&report.files));
    object.insert(
        "diagnostics".to_owned(),
        Json::Array(
            report
                .diagnostics
                .sorted()
                .into_iter()
                .map(diagnostic)
                .collect(),
        ),
    );
    Json::Object(object)
}

fn diagnostic(diagnostic: &Diagnostic) -> Json {
    let mut object = Map::new();
    object.insert(
        "severity".to_owned(),
        Json::String(diagnostic.severity.as_str().to_owned()),
    );
    object.insert("file".to_owned(), Json::String(diagnostic.file.to_string()));
    object.insert("line".to_owned(), Json::from(diagnostic.start.line));
    object.insert("column".to_owned(), Json::from(diagnostic.start.column));
    if let Some(end) = diagnostic.end {
        object.insert("endLine".to_owned(), Json::from(end.line));
        object.insert("endColumn".to_owned(), Json::from(end.column));
    }
    object.insert(
        "message".to_owned(),
        Json::String(diagnostic.message.clone()),
    );
    object.insert("text".to_owned(), Json::String(diagnostic.to_string()));
    Json::Object(object)
}
