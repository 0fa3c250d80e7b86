//! Arguments of `pyroscope.write` decoded from configuration text: defaults (§18 item 1),
//! validation messages and their order (§3.2, §4.2, §19), the `tracing` block (§5), and how the
//! API shows `headers` (§20).

use std::time::Duration;

use ferroalloy_pyroscope_write::config::{EndpointOptions, Headers, QueueOptions};
use ferroalloy_pyroscope_write::{PyroscopeWriteArguments, TracingConfig};
use ferroalloy_test_util::decode_args;
use ferroalloy_value::decode::{Arguments, EncodedStmt};
use ferroalloy_value::value::{Capsule, Value};

#[allow(clippy::panic)]
fn decode(body: &str) -> PyroscopeWriteArguments {
    match decode_args::<PyroscopeWriteArguments>(body) {
        Ok(args) => args,
        Err(errors) => panic!("{body}: {errors:?}"),
    }
}

#[allow(clippy::panic)]
fn errors(body: &str) -> Vec<String> {
    match decode_args::<PyroscopeWriteArguments>(body) {
        Ok(_) => panic!("{body}: decoded without error"),
        Err(errors) => errors,
    }
}

fn endpoint_error(inner: &str) -> String {
    let errors = errors(&format!("endpoint {{\n{inner}\n}}"));
    assert_eq!(errors.len(), 1, "{inner}: {errors:?}");
    errors[0].clone()
}

#[test]
fn defaults_match_the_spec() {
    let args = decode(r#"endpoint { url = "http://127.0.0.1:4040" }"#);
    assert!(args.external_labels.is_empty());
    assert_eq!(args.tracing, TracingConfig::default());
    let [endpoint] = args.endpoints.as_slice() else {
        panic!("one endpoint expected");
    };
    assert_eq!(endpoint.remote_timeout.to_string(), "10s");
    assert_eq!(endpoint.min_backoff_period.to_string(), "500ms");
    assert_eq!(endpoint.max_backoff_period.to_string(), "5m0s");
    assert_eq!(endpoint.max_backoff_retries, 10);
    assert!(endpoint.retry_on_http_429);
    assert!(endpoint.client.enable_http2);
    assert!(endpoint.client.follow_redirects);
    assert_eq!(endpoint.name, "");
    assert_eq!(endpoint.debug_info_upload_timeout.to_string(), "2m0s");

    let opts = EndpointOptions::new(endpoint).expect("valid");
    assert_eq!(opts.remote_timeout, Duration::from_secs(10));
    assert_eq!(opts.min_backoff, Duration::from_millis(500));
    assert_eq!(opts.max_backoff, Duration::from_secs(300));
    assert_eq!(opts.max_backoff_retries, 10);
    assert_eq!(
        opts.queue,
        QueueOptions {
            capacity: 10_000,
            capacity_bytes: 67_108_864,
            max_shards: 16,
            max_series_per_send: 1,
            batch_send_deadline: Duration::from_secs(5),
            profile_age_limit: Some(Duration::from_secs(50 * 60)),
            drain_timeout: Duration::from_secs(30),
        }
    );
}

#[test]
fn zero_endpoints_and_tracing_are_valid() {
    let args = decode("");
    assert!(args.endpoints.is_empty());
    let args = decode(
        "tracing {\n jaeger_propagator = false\n trace_context_propagator = false\n}\n\
         external_labels = { cluster = \"c1\", job = \"\" }",
    );
    assert!(!args.tracing.jaeger_propagator);
    assert!(!args.tracing.trace_context_propagator);
    assert_eq!(
        args.external_labels.get("job").map(String::as_str),
        Some("")
    );
    let errors = errors("tracing { unknown = true }");
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn every_attribute_decodes() {
    let args = decode(
        r#"endpoint {
            name = "primary"
            url = "https://u:p@pyro.example:4040/base/"
            remote_timeout = "3s"
            headers = { "X-Scope-OrgID" = "squad-1" }
            min_backoff_period = "100ms"
            max_backoff_period = "5s"
            max_backoff_retries = 0
            retry_on_http_429 = false
            debug_info_upload_timeout = "0s"
            bearer_token = "tok"
            enable_http2 = false
            follow_redirects = false
            tls_config { insecure_skip_verify = true }
            queue_config {
                capacity = 3
                capacity_bytes = 1024
                max_shards = 1
                max_series_per_send = 3
                batch_send_deadline = "1s"
                profile_age_limit = "0s"
                drain_timeout = "0s"
            }
        }"#,
    );
    let endpoint = &args.endpoints[0];
    let opts = EndpointOptions::new(endpoint).expect("valid");
    assert_eq!(opts.name, "primary");
    assert_eq!(opts.redacted_url, "https://u:xxxxx@pyro.example:4040/base/");
    assert_eq!(
        opts.push_url.as_str(),
        "https://u:p@pyro.example:4040/base/push.v1.PusherService/Push"
    );
    assert_eq!(opts.max_backoff_retries, 0);
    assert!(!opts.retry_on_http_429);
    assert_eq!(opts.headers.len(), 1);
    assert_eq!(opts.headers[0].0.as_str(), "x-scope-orgid");
    assert_eq!(opts.queue.capacity, 3);
    assert_eq!(opts.queue.max_series_per_send, 3);
    assert_eq!(opts.queue.profile_age_limit, None);
    assert_eq!(opts.queue.drain_timeout, Duration::ZERO);
    assert!(!endpoint.client.enable_http2);
    assert!(endpoint.client.tls_config.insecure_skip_verify);
    // Debug never shows the password, the token or a header value.
    let debug = format!("{endpoint:?} {opts:?}");
    for secret in [":p@", "tok\"", "squad-1"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[test]
fn bad_input_messages() {
    let cases = [
        (
            r#"url = "pyroscope:4040""#,
            r#"endpoint url must use the http or https scheme, got "pyroscope""#,
        ),
        (
            r#"url = """#,
            "invalid endpoint url: relative URL without a base",
        ),
        (
            r#"url = "http://h/?tenant=a""#,
            "endpoint url must not contain a query or fragment",
        ),
        (
            r##"url = "http://h/#frag""##,
            "endpoint url must not contain a query or fragment",
        ),
        (
            "url = \"http://h\"\nbearer_token = \"a\"\nbearer_token_file = \"/t\"",
            "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured",
        ),
        (
            "url = \"http://h\"\nremote_timeout = \"0s\"",
            "remote_timeout must be greater than 0",
        ),
        (
            "url = \"http://h\"\nmin_backoff_period = \"0s\"",
            "min_backoff_period must be greater than 0",
        ),
        (
            "url = \"http://h\"\nmax_backoff_period = \"-1s\"",
            "max_backoff_period must be greater than 0",
        ),
        (
            "url = \"http://h\"\nmax_backoff_retries = -1",
            "max_backoff_retries must not be negative",
        ),
        (
            "url = \"http://h\"\nheaders = { \"Bad Header\" = \"x\" }",
            r#"invalid header name "Bad Header" in headers"#,
        ),
        (
            "url = \"http://h\"\nheaders = { \"X-A\" = \"line\\nbreak\" }",
            r#"invalid value for header "X-A" in headers"#,
        ),
        (
            "url = \"http://h\"\ndebug_info_upload_timeout = \"-1s\"",
            "debug_info_upload_timeout must not be negative",
        ),
        (
            "url = \"http://h\"\nqueue_config { capacity = 0 }",
            "queue_config capacity must be a positive integer",
        ),
        (
            "url = \"http://h\"\nqueue_config { capacity = 1.5 }",
            "queue_config capacity must be a positive integer",
        ),
        (
            "url = \"http://h\"\nqueue_config { capacity_bytes = 0 }",
            "queue_config capacity_bytes must be a positive integer",
        ),
        (
            "url = \"http://h\"\nqueue_config { max_shards = 2.5 }",
            "queue_config max_shards must be an integer between 1 and 1000",
        ),
        (
            "url = \"http://h\"\nqueue_config { max_shards = 1001 }",
            "queue_config max_shards must be an integer between 1 and 1000",
        ),
        (
            "url = \"http://h\"\nqueue_config { max_series_per_send = 10001 }",
            "queue_config max_series_per_send must be an integer between 1 and 10000",
        ),
        (
            "url = \"http://h\"\nqueue_config { batch_send_deadline = \"0s\" }",
            "queue_config batch_send_deadline must be greater than 0",
        ),
        (
            "url = \"http://h\"\nqueue_config { profile_age_limit = \"-1s\" }",
            "queue_config profile_age_limit must not be negative",
        ),
        (
            "url = \"http://h\"\nqueue_config { drain_timeout = \"-1s\" }",
            "queue_config drain_timeout must not be negative",
        ),
    ];
    for (inner, expected) in cases {
        assert_eq!(endpoint_error(inner), expected, "{inner}");
    }
}

#[test]
fn the_first_failing_rule_of_each_endpoint_is_reported_in_spec_order() {
    // Client rules come before the endpoint's own; url before timeouts; timeouts before the
    // queue block.
    assert_eq!(
        endpoint_error(
            "url = \"ftp://h\"\nremote_timeout = \"0s\"\nbearer_token = \"a\"\nbearer_token_file = \"/t\""
        ),
        "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured"
    );
    assert_eq!(
        endpoint_error("url = \"ftp://h\"\nremote_timeout = \"0s\"\nqueue_config { capacity = 0 }"),
        r#"endpoint url must use the http or https scheme, got "ftp""#
    );
    assert_eq!(
        endpoint_error(
            "url = \"http://h\"\nmax_backoff_retries = -1\nheaders = { \"Bad Header\" = \"x\" }"
        ),
        "max_backoff_retries must not be negative"
    );
    assert_eq!(
        endpoint_error("url = \"http://h\"\nheaders = { \"A\" = \"x\\ny\", \"B C\" = \"x\" }"),
        r#"invalid header name "B C" in headers"#
    );
    // Two bad endpoints: one error each.
    let errors = errors(
        "endpoint { url = \"\" }\nendpoint { url = \"http://ok\" }\nendpoint { url = \"x:y\"\n remote_timeout = \"0s\" }",
    );
    assert_eq!(
        errors,
        [
            "invalid endpoint url: relative URL without a base",
            r#"endpoint url must use the http or https scheme, got "x""#
        ]
    );
}

#[test]
fn min_above_max_backoff_is_accepted() {
    let args = decode(
        "endpoint {\n url = \"http://h\"\n min_backoff_period = \"10s\"\n max_backoff_period = \"1s\"\n}",
    );
    assert!(EndpointOptions::new(&args.endpoints[0]).is_ok());
}

#[test]
fn the_api_shows_credential_like_header_values_as_secrets() {
    let args = decode(
        r#"endpoint {
            url = "http://h"
            headers = {
                "X-Scope-OrgID" = "squad-1",
                "Authorization" = "Bearer abc",
                "X-Api-Token" = "t0k",
                "Cookie" = "c=1",
            }
        }"#,
    );
    let body = args.to_body();
    let endpoint = body.blocks("endpoint").next().expect("endpoint block");
    let Some(Value::Object(headers)) = endpoint.get("headers") else {
        panic!("headers: {endpoint:?}");
    };
    assert_eq!(
        headers.get("X-Scope-OrgID").and_then(Value::as_str),
        Some("squad-1")
    );
    for name in ["Authorization", "X-Api-Token", "Cookie"] {
        assert!(
            matches!(headers.get(name), Some(Value::Capsule(Capsule::Secret(_)))),
            "{name}: {:?}",
            headers.get(name)
        );
    }
    let json = body.to_api_json().to_string();
    assert!(json.contains("squad-1"), "{json}");
    for secret in ["Bearer abc", "t0k", "c=1"] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    assert!(json.contains("(secret)"), "{json}");
    // The url is required, so always shown; defaults are omitted.
    assert!(
        endpoint
            .0
            .iter()
            .all(|s| !matches!(s, EncodedStmt::Attr { name, .. } if name == "remote_timeout"))
    );
    assert!(Headers::is_credential_like("x-auth-key"));
}

#[test]
fn the_api_and_debug_output_show_a_url_password_as_xxxxx() {
    let args = decode(
        r#"endpoint {
            url = "https://tenant:p4ss-w0rd@profiles.example.com:4040/base"
        }"#,
    );
    assert_eq!(
        &*args.endpoints[0].url,
        "https://tenant:p4ss-w0rd@profiles.example.com:4040/base"
    );
    let body = args.to_body();
    let endpoint = body.blocks("endpoint").next().expect("endpoint block");
    assert_eq!(
        endpoint.get("url").and_then(Value::as_str),
        Some("https://tenant:xxxxx@profiles.example.com:4040/base")
    );
    let shown = format!(
        "{} {args:?} {:?}",
        body.to_api_json(),
        args.endpoints[0].url
    );
    assert!(!shown.contains("p4ss-w0rd"), "{shown}");
    assert!(shown.contains("tenant:xxxxx@"), "{shown}");
}
