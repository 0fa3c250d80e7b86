//! The web UI of runtime §11: one entry page and a few static assets, embedded in the binary.
//!
//! Design decisions:
//! - Every asset is hand-written HTML, CSS and JavaScript under `runtime/ui/`, embedded with
//!   `include_str!`: no build step, no framework, no request leaves the machine (the
//!   `Content-Security-Policy` of every UI response allows `'self'` only).
//! - The entry page is served for `<prefix>`, `<prefix>graph` and every path under
//!   `<prefix>component/`, the client-side routes; the page carries `<base href="<prefix>">`
//!   so its assets and API calls resolve under the prefix at any depth. Other paths under the
//!   prefix stay 404, so a mistyped URL is not mistaken for a page.
//! - The page reads the component data only through the web API (§10); the server renders
//!   nothing but the prefix and the repository URL into it, both HTML-escaped.

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::SizeAbove;

/// The entry page; `%BASE%` and `%REPOSITORY%` are replaced when the router is built.
const INDEX_HTML: &str = include_str!("../../ui/index.html");

/// The embedded assets served under `<prefix>assets/`: name, content type, content.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../ui/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../ui/app.js"),
    ),
    (
        "syntax.js",
        "text/javascript; charset=utf-8",
        include_str!("../../ui/syntax.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../ui/favicon.svg"),
    ),
];

/// Same-origin only: no inline script, no outside host, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'";

/// The repository the reference pages are linked from (Cargo's `repository`).
const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// Add the UI routes under `prefix` (already normalized: leading and trailing `/`).
pub fn mount<S>(router: Router<S>, prefix: &str) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let page = Bytes::from(entry_page(prefix));
    let entry = move || {
        let page = page.clone();
        async move { respond("text/html; charset=utf-8", page) }
    };
    let ui = Router::new()
        .route(prefix, get(entry.clone()))
        .route(&format!("{prefix}graph"), get(entry.clone()))
        .route(&format!("{prefix}component/{{*id}}"), get(entry))
        .route(&format!("{prefix}assets/{{name}}"), get(asset))
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .compress_when(SizeAbove::new(0)),
        );
    router.merge(ui)
}

/// Whether a GET of `path` that matched no route gets the entry page (runtime §10): anything
/// under `prefix` except the web API (`<prefix>api/`) and the `-/` endpoints, whose unknown
/// paths stay 404s (client-side routes of a newer UI, say `/<prefix>settings`, still load).
pub fn serves_entry_page(prefix: &str, path: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => {
            !rest.starts_with("api/") && !rest.starts_with("-/") && !path.starts_with("/-/")
        }
        None => false,
    }
}

/// The fallback of the router: the entry page for [`serves_entry_page`] paths of GET and HEAD
/// requests, `404 page not found` for everything else.
pub fn fallback(
    prefix: &str,
) -> impl Fn(Method, Uri) -> std::future::Ready<Response> + Clone + Send + Sync + 'static {
    let prefix = prefix.to_owned();
    let page = Bytes::from(entry_page(&prefix));
    move |method: Method, uri: Uri| {
        let entry = (method == Method::GET || method == Method::HEAD)
            && serves_entry_page(&prefix, uri.path());
        std::future::ready(if entry {
            respond("text/html; charset=utf-8", page.clone())
        } else {
            super::routes::not_found_response()
        })
    }
}

/// The entry page with the prefix as its `<base>` and the repository URL filled in.
pub fn entry_page(prefix: &str) -> String {
    INDEX_HTML
        .replace("%BASE%", &escape_html(prefix))
        .replace("%REPOSITORY%", &escape_html(REPOSITORY))
}

/// Escape text for an HTML attribute value or text node.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

async fn asset(name: Result<Path<String>, axum::extract::rejection::PathRejection>) -> Response {
    let found = name.ok().and_then(|Path(name)| {
        ASSETS
            .iter()
            .find(|(asset, _, _)| *asset == name)
            .map(|&(_, content_type, body)| (content_type, body))
    });
    match found {
        Some((content_type, body)) => respond(content_type, Bytes::from_static(body.as_bytes())),
        None => super::routes::not_found_response(),
    }
}

fn respond(content_type: &'static str, body: Bytes) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_page_escapes_the_prefix() {
        let page = entry_page("/a\"<b>/");
        assert!(
            page.contains("<base href=\"/a&quot;&lt;b&gt;/\">"),
            "{page}"
        );
        assert!(!page.contains("%BASE%") && !page.contains("%REPOSITORY%"));
    }

    #[test]
    fn every_asset_the_page_names_is_embedded() {
        let page = entry_page("/");
        for (name, _, body) in ASSETS {
            assert!(!body.is_empty(), "{name}");
        }
        for name in ["app.css", "app.js", "syntax.js", "favicon.svg"] {
            assert!(page.contains(&format!("assets/{name}")), "{name}");
        }
    }

    #[test]
    fn unknown_paths_under_the_prefix_get_the_entry_page_except_the_api_and_probes() {
        for (prefix, path, expected) in [
            ("/", "/nope", true),
            ("/", "/component/a/b", true),
            ("/", "/api/v0/web/nope", false),
            ("/", "/api/", false),
            ("/", "/-/nope", false),
            ("/alloy/", "/alloy/settings", true),
            ("/alloy/", "/alloy/api/v0/web/nope", false),
            ("/alloy/", "/alloy/-/ready", false),
            ("/alloy/", "/nope", false),
            ("/alloy/", "/-/nope", false),
        ] {
            assert_eq!(serves_entry_page(prefix, path), expected, "{prefix} {path}");
        }
    }
}
