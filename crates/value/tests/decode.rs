//! Decoding block bodies into typed component arguments (syntax §6, runtime §4), shown on
//! arguments shaped like `pyroscope.write` and `pyroscope.scrape`: repeated `endpoint` blocks
//! with a nested optional `basic_auth`, a `headers` map, durations, secrets, a list of capsules,
//! defaults, `null`, all errors of a body at once, and `validate` errors mapped to positions.

use std::sync::Arc;

use ferroalloy_syntax::ast::Stmt;
use ferroalloy_syntax::parser::parse_file;
use ferroalloy_syntax::{Diagnostic, SourceFile};
use ferroalloy_value::decode::{
    ArgErrors, ArgPath, Arguments, BlockBody, BlockSpec, CapsuleRef, CapsuleType, Cardinality,
    EncodedBody, EncodedStmt, FieldVisitor, Labelled, Presence, Schema, Type, decode_arguments,
    decode_block, decode_value,
};
use ferroalloy_value::duration::Duration;
use ferroalloy_value::eval::{Evaluator, Scope};
use ferroalloy_value::{Capsule, Object, OptionalSecret, Secret, Value};
use indexmap::IndexMap;

// ---------------------------------------------------------------------------------------------
// arguments of a `pyroscope.write`-like component

#[derive(Clone, Debug, PartialEq)]
struct WriteArguments {
    endpoint: Vec<EndpointOptions>,
    external_labels: IndexMap<String, String>,
}

impl Default for WriteArguments {
    fn default() -> Self {
        Self {
            endpoint: Vec::new(),
            external_labels: IndexMap::new(),
        }
    }
}

impl Arguments for WriteArguments {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("external_labels", |s| &mut s.external_labels);
        v.block("endpoint", |s| &mut s.endpoint);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        let mut errors = ArgErrors::new();
        errors.nest_each("endpoint", &self.endpoint, EndpointOptions::validate);
        errors.into_result()
    }
}

#[derive(Clone, Debug, PartialEq)]
struct EndpointOptions {
    name: String,
    url: String,
    remote_timeout: Duration,
    headers: IndexMap<String, String>,
    min_backoff_period: Duration,
    max_backoff_period: Duration,
    max_backoff_retries: u32,
    /// The shared HTTP client settings, written directly in the `endpoint` block.
    client: HttpClientConfig,
}

impl Default for EndpointOptions {
    fn default() -> Self {
        Self {
            name: String::new(),
            url: String::new(),
            remote_timeout: secs(10),
            headers: IndexMap::new(),
            min_backoff_period: Duration::from_nanos(500_000_000),
            max_backoff_period: secs(300),
            max_backoff_retries: 10,
            client: HttpClientConfig::default(),
        }
    }
}

impl Arguments for EndpointOptions {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("name", |s| &mut s.name);
        v.required("url", |s| &mut s.url);
        v.optional("remote_timeout", |s| &mut s.remote_timeout);
        v.optional("headers", |s| &mut s.headers);
        v.optional("min_backoff_period", |s| &mut s.min_backoff_period);
        v.optional("max_backoff_period", |s| &mut s.max_backoff_period);
        v.optional("max_backoff_retries", |s| &mut s.max_backoff_retries);
        v.squash(|s| &mut s.client);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        let mut errors = ArgErrors::new();
        errors.nest("", self.client.validate());
        if !errors.is_empty() {
            return Err(errors);
        }
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            errors.push(
                "url",
                format!("url must use http or https, got {:?}", self.url),
            );
        } else if self.min_backoff_period > self.max_backoff_period {
            errors.push(
                "min_backoff_period",
                "min_backoff_period must not exceed max_backoff_period",
            );
        }
        errors.into_result()
    }
}

/// Settings shared by every HTTP client block (squashed into their host block).
#[derive(Clone, Debug, PartialEq)]
struct HttpClientConfig {
    bearer_token: Option<Secret>,
    enable_http2: bool,
    http_headers: IndexMap<String, Vec<Secret>>,
    basic_auth: Option<BasicAuth>,
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        Self {
            bearer_token: None,
            enable_http2: true,
            http_headers: IndexMap::new(),
            basic_auth: None,
        }
    }
}

impl Arguments for HttpClientConfig {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("bearer_token", |s| &mut s.bearer_token);
        v.optional("enable_http2", |s| &mut s.enable_http2);
        v.optional("http_headers", |s| &mut s.http_headers);
        v.block("basic_auth", |s| &mut s.basic_auth);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        let mut errors = ArgErrors::new();
        if let Some(auth) = &self.basic_auth {
            errors.nest("basic_auth", auth.validate());
        }
        if errors.is_empty() && self.bearer_token.is_some() && self.basic_auth.is_some() {
            errors.push(
                "",
                "at most one of basic_auth and bearer_token must be configured",
            );
        }
        errors.into_result()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
struct BasicAuth {
    username: String,
    password: Option<Secret>,
    password_file: String,
}

impl Arguments for BasicAuth {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("username", |s| &mut s.username);
        v.optional("password", |s| &mut s.password);
        v.optional("password_file", |s| &mut s.password_file);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        if self.password.is_some() && !self.password_file.is_empty() {
            return Err(ArgErrors::one(
                "password_file",
                "at most one of password and password_file must be set",
            ));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// arguments of a `pyroscope.scrape`-like component: a list of capsules

#[derive(Debug)]
struct Receiver {
    name: &'static str,
}

impl CapsuleType for Receiver {
    const TYPE_NAME: &'static str = "pyroscope.Appendable";
}

#[derive(Clone, Debug, PartialEq)]
struct ScrapeArguments {
    targets: Vec<IndexMap<String, String>>,
    forward_to: Vec<CapsuleRef<Receiver>>,
    scrape_interval: Duration,
    job_name: Option<String>,
}

impl Default for ScrapeArguments {
    fn default() -> Self {
        Self {
            targets: Vec::new(),
            forward_to: Vec::new(),
            scrape_interval: secs(15),
            job_name: None,
        }
    }
}

impl Arguments for ScrapeArguments {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.required("targets", |s| &mut s.targets);
        v.required("forward_to", |s| &mut s.forward_to);
        v.optional("scrape_interval", |s| &mut s.scrape_interval);
        v.optional("job_name", |s| &mut s.job_name);
    }
}

// ---------------------------------------------------------------------------------------------
// labelled and fixed-count blocks

#[derive(Clone, Debug, Default, PartialEq)]
struct RuleSet {
    rule: Vec<Labelled<Rule>>,
    pair: [Rule; 2],
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Rule {
    action: String,
}

impl Arguments for RuleSet {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.block("rule", |s| &mut s.rule);
        v.block("pair", |s| &mut s.pair);
    }
}

impl Arguments for Rule {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("action", |s| &mut s.action);
    }
}

// ---------------------------------------------------------------------------------------------
// helpers

fn secs(n: i64) -> Duration {
    Duration::from_nanos(n * 1_000_000_000)
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Object>(),
    )
}

/// A scope with `local.file.pw.content` (a secret optional secret) and
/// `pyroscope.write.default.receiver` (a capsule).
fn scope_with(receiver: &CapsuleRef<Receiver>) -> Scope {
    let mut scope = Scope::new();
    let content = Value::Capsule(Capsule::OptionalSecret(OptionalSecret::new(
        "hunter2", true,
    )));
    scope.set(
        "local",
        obj(vec![(
            "file",
            obj(vec![("pw", obj(vec![("content", content)]))]),
        )]),
    );
    scope.set(
        "pyroscope",
        obj(vec![(
            "write",
            obj(vec![(
                "default",
                obj(vec![("receiver", receiver.to_capsule())]),
            )]),
        )]),
    );
    scope
}

fn test_scope() -> Scope {
    scope_with(&CapsuleRef::new(Arc::new(Receiver { name: "default" })))
}

/// `file:line:col-line:col: message`, the end omitted for one-character spans.
fn render(d: &Diagnostic) -> String {
    match d.end {
        Some(end) => format!(
            "{}:{}:{}-{}:{}: {}",
            d.file, d.start.line, d.start.column, end.line, end.column, d.message
        ),
        None => format!(
            "{}:{}:{}: {}",
            d.file, d.start.line, d.start.column, d.message
        ),
    }
}

/// Parse `text` as `main.alloy`, decode its first block into `A`.
fn decode_in<A: Arguments>(text: &str, scope: &Scope) -> Result<A, Vec<String>> {
    let src = SourceFile::new("main.alloy", text);
    let (file, diagnostics) = parse_file(&src);
    assert!(
        !diagnostics.has_errors(),
        "test config does not parse: {diagnostics:?}"
    );
    let Some(Stmt::Block(block)) = file.body.stmts.first() else {
        return Err(vec!["the test config holds no block".to_owned()]);
    };
    let eval = Evaluator::new(&src, scope);
    decode_arguments::<A>(block, &eval).map_err(|mut ds| {
        ds.sort_by_key(|d| (d.start.line, d.start.column));
        ds.iter().map(render).collect()
    })
}

fn decode<A: Arguments>(text: &str) -> Result<A, Vec<String>> {
    decode_in(text, &test_scope())
}

// ---------------------------------------------------------------------------------------------
// decoding

#[test]
fn decodes_repeated_blocks_nested_blocks_maps_durations_and_secrets() {
    let args: WriteArguments = decode(
        r#"pyroscope.write "default" {
	external_labels = {"env" = "prod", cluster = "eu-1"}

	endpoint {
		name           = "primary"
		url            = "https://pyroscope.example.com"
		remote_timeout = "1m30s"
		headers        = {"X-Scope-OrgID" = "tenant-" + "1"}

		basic_auth {
			username = "user"
			password = local.file.pw.content
		}
	}

	endpoint {
		url                 = "http://localhost:4040"
		max_backoff_retries = "3"
		bearer_token        = "token"
	}
}"#,
    )
    .expect("decodes");

    assert_eq!(
        args.external_labels.get("env").map(String::as_str),
        Some("prod")
    );
    assert_eq!(
        args.external_labels.get("cluster").map(String::as_str),
        Some("eu-1")
    );
    assert_eq!(args.endpoint.len(), 2);

    let primary = &args.endpoint[0];
    assert_eq!(primary.name, "primary");
    assert_eq!(primary.remote_timeout, secs(90));
    assert_eq!(
        primary.headers.get("X-Scope-OrgID").map(String::as_str),
        Some("tenant-1")
    );
    let auth = primary
        .client
        .basic_auth
        .as_ref()
        .expect("basic_auth decoded");
    assert_eq!(auth.username, "user");
    assert_eq!(auth.password.as_ref().map(Secret::expose), Some("hunter2"));
    // Unwritten attributes keep the defaults of the endpoint block.
    assert_eq!(primary.max_backoff_retries, 10);
    assert_eq!(
        primary.min_backoff_period,
        Duration::from_nanos(500_000_000)
    );

    let local = &args.endpoint[1];
    assert_eq!(local.url, "http://localhost:4040");
    assert_eq!(local.remote_timeout, secs(10));
    assert_eq!(
        local.max_backoff_retries, 3,
        "numeric text converts to a number (§6.2)"
    );
    assert_eq!(
        local.client.bearer_token.as_ref().map(Secret::expose),
        Some("token")
    );
    assert_eq!(local.client.basic_auth, None);
    assert!(local.client.enable_http2, "the squashed default");
}

#[test]
fn an_empty_body_gives_the_defaults() {
    let args: WriteArguments = decode("pyroscope.write \"default\" { }").expect("decodes");
    assert_eq!(args, WriteArguments::default());
}

#[test]
fn null_assigns_the_zero_value_not_the_default() {
    let args: WriteArguments = decode(
        r#"pyroscope.write "default" {
	endpoint {
		url                 = "http://a"
		remote_timeout      = null
		max_backoff_retries = null
		headers             = null
		bearer_token        = null
	}
}"#,
    )
    .expect("decodes");
    let endpoint = &args.endpoint[0];
    assert_eq!(endpoint.remote_timeout, Duration::ZERO);
    assert_eq!(endpoint.max_backoff_retries, 0);
    assert!(endpoint.headers.is_empty());
    assert_eq!(endpoint.client.bearer_token, None);
}

#[test]
fn every_problem_of_a_body_is_reported_at_once() {
    let errors = decode::<WriteArguments>(
        r#"pyroscope.write "default" {
	endpoint {
		url                 = ["x"]
		remote_timeout      = "10"
		max_backoff_retries = -1
		headers             = {"a" = "ok", "b" = true}
		bogus               = 1
		basic_auth "x" {
			username = 5
			pass     = "p"
		}
		basic_auth { user = "x" }
	}
	endpoint { }
	external_labels = {}
	external_labels = {}
	queue { }
	endpoint = 1
	external_labels { }
}"#,
    )
    .expect_err("fails");
    assert_eq!(
        errors,
        [
            r#"main.alloy:3:25-3:29: ["x"] should be string, got array"#,
            r#"main.alloy:4:25-4:28: "10" time: missing unit in duration "10""#,
            "main.alloy:5:25-5:26: -1 is out of range (must be between 0 and 4294967295)",
            "main.alloy:6:44-6:47: true should be string, got bool",
            r#"main.alloy:7:3-7:25: unrecognized attribute name "bogus""#,
            r#"main.alloy:8:3-8:18: block "basic_auth" does not support specifying labels"#,
            r#"main.alloy:10:4-10:17: unrecognized attribute name "pass""#,
            r#"main.alloy:12:3-12:27: block "basic_auth" may only be specified once"#,
            r#"main.alloy:12:16-12:25: unrecognized attribute name "user""#,
            r#"main.alloy:14:2-14:13: missing required attribute "url""#,
            r#"main.alloy:16:2-16:21: attribute "external_labels" may only be provided once"#,
            r#"main.alloy:17:2-17:10: unrecognized block name "queue""#,
            r#"main.alloy:18:2-18:13: "endpoint" must be a block, but is used as an attribute"#,
            r#"main.alloy:19:2-19:20: "external_labels" must be an attribute, but is used as a block"#,
        ]
    );
}

#[test]
fn missing_required_attributes_span_the_enclosing_block() {
    let errors = decode::<ScrapeArguments>("pyroscope.scrape \"s\" {\n\tjob_name = \"x\"\n}")
        .expect_err("fails");
    assert_eq!(
        errors,
        [
            r#"main.alloy:1:1-3:1: missing required attribute "targets""#,
            r#"main.alloy:1:1-3:1: missing required attribute "forward_to""#,
        ]
    );
}

#[test]
fn capsule_lists_decode_to_the_shared_handles() {
    let receiver = CapsuleRef::new(Arc::new(Receiver { name: "default" }));
    let scope = scope_with(&receiver);
    let args: ScrapeArguments = decode_in(
        r#"pyroscope.scrape "s" {
	targets    = [{"__address__" = "localhost:4040", "service_name" = "app"}]
	forward_to = [pyroscope.write.default.receiver]
}"#,
        &scope,
    )
    .expect("decodes");
    assert_eq!(args.forward_to, vec![receiver.clone()]);
    assert_eq!(args.forward_to[0].get().name, "default");
    assert!(Arc::ptr_eq(args.forward_to[0].get(), receiver.get()));
    assert_eq!(
        args.targets[0].get("service_name").map(String::as_str),
        Some("app")
    );
    assert_eq!(args.scrape_interval, secs(15));
}

#[test]
fn wrong_capsules_and_secrets_are_positioned_errors() {
    let errors = decode::<ScrapeArguments>(
        r#"pyroscope.scrape "s" {
	targets    = []
	forward_to = [pyroscope.write.default.receiver, local.file.pw.content, null]
	job_name   = local.file.pw.content + "/suffix"
}"#,
    )
    .expect_err("fails");
    assert_eq!(
        errors,
        [
            r#"main.alloy:3:50-3:70: local.file.pw.content expected capsule("pyroscope.Appendable"), got capsule("alloytypes.OptionalSecret")"#,
            r#"main.alloy:4:15-4:47: local.file.pw.content + "/suffix" secrets may not be converted into strings"#,
        ]
    );
    let errors = decode::<ScrapeArguments>(
        "pyroscope.scrape \"s\" {\n\ttargets = []\n\tforward_to = [null]\n}",
    )
    .expect_err("fails");
    assert_eq!(
        errors,
        [r#"main.alloy:3:16-3:19: null expected capsule("pyroscope.Appendable"), got null"#]
    );
}

#[test]
fn validate_errors_point_at_the_argument_their_path_names() {
    let errors = decode::<WriteArguments>(
        r#"pyroscope.write "default" {
	endpoint {
		url = "ftp://b"
	}
	endpoint {
		url = "ftp://c"
		basic_auth {
			password      = "p"
			password_file = "/f"
		}
	}
	endpoint {
		url          = "http://d"
		bearer_token = "t"
		basic_auth {
			username = "u"
		}
	}
}"#,
    )
    .expect_err("fails");
    // Per block, the first failing rule: the second endpoint reports its client settings only.
    assert_eq!(
        errors,
        [
            r#"main.alloy:3:3-3:17: url must use http or https, got "ftp://b""#,
            "main.alloy:9:4-9:23: at most one of password and password_file must be set",
            "main.alloy:12:2-18:2: at most one of basic_auth and bearer_token must be configured",
        ]
    );

    // The same errors from `validate` alone carry the paths the runtime shows.
    let mut args = WriteArguments::default();
    args.endpoint.push(EndpointOptions {
        url: "ftp://b".into(),
        ..Default::default()
    });
    let errors = args.validate().expect_err("invalid");
    assert_eq!(
        errors.0[0].path,
        ArgPath::parse("endpoint[0].url").expect("path")
    );
    assert_eq!(
        errors.to_string(),
        r#"endpoint[0].url: url must use http or https, got "ftp://b""#
    );
}

#[test]
fn labelled_and_fixed_count_blocks() {
    let args: RuleSet = decode(
        r#"rules {
	rule "keep" { action = "keep" }
	rule "drop" { action = "drop" }
	pair { action = "a" }
	pair { action = "b" }
}"#,
    )
    .expect("decodes");
    let labels: Vec<&str> = args.rule.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["keep", "drop"]);
    assert_eq!(args.rule[1].block.action, "drop");
    assert_eq!(args.pair[1].action, "b");

    let errors = decode::<RuleSet>("rules {\n\trule { }\n\tpair { }\n}").expect_err("fails");
    assert_eq!(
        errors,
        [
            r#"main.alloy:2:2-2:7: block "rule" requires non-empty label"#,
            r#"main.alloy:3:2-3:9: block "pair" must be specified exactly 2 times, but was specified 1 times"#,
        ]
    );
}

#[test]
fn schemas_derive_from_the_field_types() {
    let schema = EndpointOptions::schema();
    let url = schema.attr("url").expect("url");
    assert_eq!(
        (url.ty.clone(), url.presence),
        (Type::String, Presence::Required)
    );
    assert_eq!(
        schema.attr("remote_timeout").map(|a| &a.ty),
        Some(&Type::Duration)
    );
    assert_eq!(
        schema.attr("headers").map(|a| a.ty.to_string()).as_deref(),
        Some("map(string)")
    );
    assert_eq!(
        schema.attr("max_backoff_retries").map(|a| &a.ty),
        Some(&Type::Uint {
            min: 0,
            max: u32::MAX.into()
        })
    );
    // Squashed client settings are attributes and blocks of the endpoint itself.
    assert_eq!(
        schema
            .attr("http_headers")
            .map(|a| a.ty.to_string())
            .as_deref(),
        Some("map(list(secret))")
    );
    assert_eq!(
        schema.attr("bearer_token").map(|a| &a.ty),
        Some(&Type::optional(Type::Secret))
    );
    let auth = schema.nested("basic_auth").expect("basic_auth");
    assert_eq!(
        (auth.cardinality, auth.labelled, auth.presence),
        (Cardinality::Single, false, Presence::Optional)
    );
    assert_eq!(
        ScrapeArguments::schema()
            .attr("forward_to")
            .map(|a| a.ty.to_string())
            .as_deref(),
        Some(r#"list(capsule("pyroscope.Appendable"))"#)
    );
    let write = WriteArguments::schema();
    assert_eq!(
        write.nested("endpoint").map(|b| b.cardinality),
        Some(Cardinality::Repeated)
    );
    assert_eq!(
        RuleSet::schema().nested("pair").map(|b| b.cardinality),
        Some(Cardinality::Exactly(2))
    );
    assert!(
        Arc::ptr_eq(&write, &WriteArguments::schema()),
        "schemas are built once per type"
    );
}

#[test]
fn encoding_omits_optional_arguments_equal_to_their_default() {
    let args: WriteArguments = decode(
        r#"pyroscope.write "default" {
	endpoint {
		url            = "http://a"
		remote_timeout = "10s"
		basic_auth {
			username = "u"
			password = "p"
		}
	}
}"#,
    )
    .expect("decodes");
    let body = args.to_body();
    let mut endpoint = EncodedBody::new();
    endpoint.attr("url", Value::string("http://a"));
    let mut auth = EncodedBody::new();
    auth.attr("username", Value::string("u"));
    auth.attr(
        "password",
        Value::Capsule(Capsule::Secret(Secret::new("p"))),
    );
    endpoint.block("basic_auth", None, auth);
    let mut expected = EncodedBody::new();
    expected.block("endpoint", None, endpoint);
    assert_eq!(
        body, expected,
        "remote_timeout equals its default and is omitted"
    );
    let mut no_http2 = args.clone();
    no_http2.endpoint[0].client.enable_http2 = false;
    let encoded = no_http2.to_body();
    let endpoint = encoded.blocks("endpoint").next().expect("endpoint");
    assert_eq!(
        endpoint.get("enable_http2"),
        Some(&Value::Bool(false)),
        "squashed fields sit in the block"
    );
    let string = |s: &str| serde_json::json!({"type": "string", "value": s});
    assert_eq!(
        body.to_api_json(),
        serde_json::json!([{"name": "endpoint", "type": "block", "body": [
            {"name": "url", "type": "attr", "value": string("http://a")},
            {"name": "basic_auth", "type": "block", "body": [
                {"name": "username", "type": "attr", "value": string("u")},
                {"name": "password", "type": "attr", "value": {"type": "capsule", "value": "(secret)"}},
            ]},
        ]}])
    );

    let mut changed = args.clone();
    changed.endpoint[0].remote_timeout = secs(5400);
    let encoded = changed.to_body();
    let endpoint = encoded.blocks("endpoint").next().expect("endpoint");
    assert_eq!(
        endpoint.get("remote_timeout"),
        Some(&Value::string("1h30m0s"))
    );
    assert!(matches!(&endpoint.0[1], EncodedStmt::Attr { name, .. } if name == "remote_timeout"));
    assert!(WriteArguments::default().to_body().is_empty());
}

#[test]
fn values_decode_without_a_body() {
    assert_eq!(
        decode_value::<Duration>(&Value::string("1h30m")).map(|d| d.as_nanos()),
        Ok(5_400_000_000_000)
    );
    assert_eq!(
        Duration::from_nanos(5_400_000_000_000).to_string(),
        "1h30m0s"
    );
    let err = decode_value::<Duration>(&Value::int(10)).expect_err("no unit");
    assert_eq!(err.message, "time: missing unit in duration \"10\"");
    let err = decode_value::<Vec<u8>>(&Value::Array(vec![Value::int(1), Value::int(300)]))
        .expect_err("range");
    assert_eq!(
        (err.path.to_string().as_str(), err.message.as_str()),
        ("[1]", "is out of range (must be between 0 and 255)")
    );
    let secret = Value::Capsule(Capsule::Secret(Secret::new("pw")));
    assert_eq!(
        decode_value::<String>(&secret).map_err(|e| e.message),
        Err("secrets may not be converted into strings".to_owned())
    );
    assert_eq!(decode_value::<Option<i64>>(&Value::Null), Ok(None));
}

#[test]
fn map_bodied_blocks_reject_nested_blocks() {
    let schema = Schema::new().block(BlockSpec {
        name: "labels".into(),
        presence: Presence::Optional,
        cardinality: Cardinality::Single,
        labelled: false,
        body: BlockBody::Map(Type::String),
    });
    let text = "c {\n\tlabels {\n\t\ta = 1\n\t\tb = \"x\"\n\t\tnested { }\n\t}\n}";
    let src = SourceFile::new("main.alloy", text);
    let (file, diagnostics) = parse_file(&src);
    assert!(!diagnostics.has_errors());
    let Some(Stmt::Block(block)) = file.body.stmts.first() else {
        panic!("no block")
    };
    let scope = Scope::new();
    let eval = Evaluator::new(&src, &scope);
    let (decoded, diagnostics) = decode_block(block, &schema, &eval);
    let rendered: Vec<String> = diagnostics.iter().map(render).collect();
    assert_eq!(
        rendered,
        ["main.alloy:5:3-5:12: nested blocks not supported here"]
    );
    let labels = decoded.blocks("labels")[0].body.to_object();
    assert_eq!(labels.get("a"), Some(&Value::string("1")));
    assert_eq!(labels.get("b"), Some(&Value::string("x")));
}

#[test]
fn secret_optional_secrets_are_accepted_by_secret_arguments() {
    let args: WriteArguments = decode(
        "pyroscope.write \"w\" {\n\tendpoint {\n\t\turl = \"http://a\"\n\t\tbearer_token = local.file.pw.content + \"/suffix\"\n\t}\n}",
    )
    .expect("decodes");
    assert_eq!(
        args.endpoint[0]
            .client
            .bearer_token
            .as_ref()
            .map(Secret::expose),
        Some("hunter2/suffix")
    );
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    /// Statements built from the schema's names, unknown names and values of every type.
    fn statement() -> impl Strategy<Value = String> {
        let name = prop::sample::select(vec![
            "url",
            "name",
            "remote_timeout",
            "headers",
            "max_backoff_retries",
            "bearer_token",
            "basic_auth",
            "endpoint",
            "external_labels",
            "username",
            "password",
            "password_file",
            "bogus",
            "a.b",
        ]);
        let value = prop::sample::select(vec![
            "1",
            "-1",
            "1.5",
            "\"10s\"",
            "\"http://x\"",
            "null",
            "true",
            "[1, \"a\"]",
            "{a = 1}",
            "{\"k\" = \"v\"}",
            "local.file.pw.content",
            "pyroscope.write.default.receiver",
            "1 / 0",
            "missing",
            "\"1d\"",
            "99999999999999999999",
        ]);
        let label = prop::option::of(prop::sample::select(vec!["\"l\"", "\"\""]));
        prop_oneof![
            (name.clone(), value).prop_map(|(n, v)| format!("{n} = {v}")),
            (name, label).prop_map(|(n, l)| match l {
                Some(l) => format!("{n} {l} {{ url = \"http://a\" }}"),
                None => format!("{n} {{ url = \"http://a\" }}"),
            }),
        ]
    }

    proptest! {
        #[test]
        fn decoding_any_body_reports_or_succeeds(stmts in prop::collection::vec(statement(), 0..12)) {
            let text = format!("pyroscope.write \"w\" {{\n\t{}\n}}", stmts.join("\n\t"));
            let src = SourceFile::new("main.alloy", text.as_str());
            let (file, diagnostics) = parse_file(&src);
            prop_assume!(!diagnostics.has_errors());
            let Some(Stmt::Block(block)) = file.body.stmts.first() else {
                return Err(TestCaseError::fail("no block"));
            };
            let scope = test_scope();
            let eval = Evaluator::new(&src, &scope);
            match decode_arguments::<WriteArguments>(block, &eval) {
                Ok(args) => {
                    // What decodes encodes, and required entries are always there.
                    let body = args.to_body();
                    for endpoint in body.blocks("endpoint") {
                        prop_assert!(endpoint.get("url").is_some());
                    }
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    for d in &errors {
                        prop_assert!(d.start.offset <= text.len());
                        prop_assert!(!d.message.is_empty());
                    }
                }
            }
        }
    }
}
