//! The routes of runtime §10 over an [`Arc<dyn ControlPlane>`].
//!
//! Design decisions:
//! - The web API is nested under the UI prefix and wrapped in a gzip layer that compresses
//!   every response when the client accepts it (no minimum size, so behaviour does not depend
//!   on how many components there are). `/-/…` and `/metrics` stay at the root, as in Alloy.
//! - Every unmatched path falls through to one 404 handler with Go's `404 page not found\n`
//!   body. The UI ([`super::ui`]) serves its entry page for its client-side routes under the
//!   prefix; the prefix without its trailing `/` redirects to the prefix, as the spec's table
//!   says.
//! - Component IDs come from one path segment, percent-decoded by axum's `Path`, and are looked
//!   up literally (`a%2Fb` is the ID `a/b`, which matches nothing); a segment that does not
//!   decode to UTF-8 is a 404 like any unknown ID.
//! - Handlers never read request bodies, so a huge body costs nothing but the connection.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::SizeAbove;

use super::encode::{self, ComponentForm};
use crate::status::{ControlPlane, LoadOutcome, Trigger};

/// The shared state of every handler.
type Control = Arc<dyn ControlPlane>;

/// The body of every 404.
pub const NOT_FOUND_BODY: &str = "404 page not found\n";

/// The `text/plain` content type of every text response.
const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// The content type of `/metrics` (Prometheus text exposition format 0.0.4).
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `<prefix>` of runtime §10: the UI prefix with a leading and a trailing `/`.
pub fn normalize_prefix(prefix: &str) -> String {
    let mut normalized = String::with_capacity(prefix.len() + 2);
    if !prefix.starts_with('/') {
        normalized.push('/');
    }
    normalized.push_str(prefix);
    if !normalized.ends_with('/') {
        normalized.push('/');
    }
    normalized
}

/// The router of the HTTP server: `/-/…`, `/metrics`, and the web API and UI under
/// `ui_path_prefix`.
pub fn router(control: Arc<dyn ControlPlane>, ui_path_prefix: &str) -> Router {
    let prefix = normalize_prefix(ui_path_prefix);
    let api = Router::new()
        .route("/components", get(list_components))
        .route("/components/{id}", get(component_detail))
        .route("/modules/{id}/components", get(module_components))
        .route("/reload-status", get(reload_status))
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .compress_when(SizeAbove::new(0)),
        );
    let mut router = Router::new()
        .route("/-/ready", get(ready))
        .route("/-/healthy", get(healthy))
        .route("/-/reload", get(reload).post(reload))
        .route("/metrics", get(metrics))
        .nest(&format!("{prefix}api/v0/web"), api);
    router = super::ui::mount(router, &prefix);
    if prefix != "/" {
        let bare = prefix.trim_end_matches('/').to_owned();
        let location = prefix.clone();
        router = router.route(&bare, get(move || async move { redirect(&location) }));
    }
    router
        .fallback(super::ui::fallback(&prefix))
        .with_state(control)
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN))],
        body.into(),
    )
        .into_response()
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::FOUND, [(header::LOCATION, value)]).into_response(),
        Err(_) => not_found_response(),
    }
}

pub(super) fn not_found_response() -> Response {
    text(StatusCode::NOT_FOUND, NOT_FOUND_BODY)
}

async fn ready(State(control): State<Control>) -> Response {
    if control.is_ready() {
        text(StatusCode::OK, "ferroalloy is ready.\n")
    } else {
        text(
            StatusCode::SERVICE_UNAVAILABLE,
            "ferroalloy is not ready.\n",
        )
    }
}

async fn healthy(State(control): State<Control>) -> Response {
    let failing: Vec<String> = control
        .components()
        .into_iter()
        .filter(|info| encode::is_failing(info.health.state))
        .map(|info| info.id)
        .collect();
    if failing.is_empty() {
        text(StatusCode::OK, "All ferroalloy components are healthy.\n")
    } else {
        text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("unhealthy components: {}\n", failing.join(", ")),
        )
    }
}

fn shutting_down() -> Response {
    text(
        StatusCode::SERVICE_UNAVAILABLE,
        "ferroalloy is shutting down\n",
    )
}

async fn reload(State(control): State<Control>) -> Response {
    tracing::debug!("reload requested over http");
    if control.is_shutting_down() {
        return shutting_down();
    }
    let Some(report) = control.reload(Trigger::Http).await else {
        return shutting_down();
    };
    let header_line = match report.outcome {
        LoadOutcome::Ok => return text(StatusCode::OK, "config reloaded\n"),
        LoadOutcome::Partial => {
            "config reload applied with errors; failed components keep their previous arguments:"
        }
        LoadOutcome::Rejected => "config reload rejected; the running configuration is unchanged:",
    };
    let mut body = String::from(header_line);
    body.push('\n');
    for diagnostic in report.diagnostics.sorted() {
        if diagnostic.is_error() {
            body.push_str(&diagnostic.to_string());
            body.push('\n');
        }
    }
    text(StatusCode::BAD_REQUEST, body)
}

async fn metrics(State(control): State<Control>) -> Response {
    let mut body = String::new();
    control.encode_metrics(&mut body);
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(METRICS_CONTENT_TYPE),
        )],
        body,
    )
        .into_response()
}

async fn list_components(State(control): State<Control>) -> Response {
    let list: Vec<serde_json::Value> = control
        .components()
        .iter()
        .map(|info| encode::component(info, ComponentForm::List))
        .collect();
    axum::Json(serde_json::Value::Array(list)).into_response()
}

async fn component_detail(
    State(control): State<Control>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return not_found_response();
    };
    match control.component(&id) {
        Some(info) => axum::Json(encode::component(&info, ComponentForm::Detail)).into_response(),
        None => not_found_response(),
    }
}

async fn module_components() -> Response {
    text(StatusCode::INTERNAL_SERVER_ERROR, "module not found\n")
}

async fn reload_status(State(control): State<Control>) -> Response {
    axum::Json(encode::reload_status(&control.reload_status())).into_response()
}
