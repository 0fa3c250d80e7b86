//! Parse, evaluate and decode a generated configuration of 1,000 component blocks — the
//! language's share of the runtime's "1,000 components < 100 ms" budget (DESIGN.md).
//!
//! Each block resembles a real `pyroscope.write` endpoint: strings built with the standard
//! library, a duration, a map, a nested block and arithmetic, decoded into typed arguments.

#![allow(missing_docs)] // criterion_group! generates an undocumented public function
#![allow(clippy::expect_used)] // a generated config that fails to decode is a broken benchmark

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ferroalloy_syntax::SourceFile;
use ferroalloy_syntax::ast::Stmt;
use ferroalloy_syntax::parser::parse_file;
use ferroalloy_value::decode::{Arguments, FieldVisitor, decode_arguments};
use ferroalloy_value::duration::Duration;
use ferroalloy_value::eval::{Evaluator, Scope};
use indexmap::IndexMap;

const BLOCKS: usize = 1_000;

#[derive(Clone, Debug, Default, PartialEq)]
struct BasicAuth {
    username: String,
    password: String,
}

impl Arguments for BasicAuth {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.required("username", |s| &mut s.username);
        v.optional("password", |s| &mut s.password);
    }
}

#[derive(Clone, Debug, PartialEq)]
struct EndpointArguments {
    url: String,
    remote_timeout: Duration,
    max_backoff_retries: u32,
    headers: IndexMap<String, String>,
    enabled: bool,
    basic_auth: Option<BasicAuth>,
}

impl Default for EndpointArguments {
    fn default() -> Self {
        Self {
            url: String::new(),
            remote_timeout: Duration::from_nanos(10_000_000_000),
            max_backoff_retries: 10,
            headers: IndexMap::new(),
            enabled: true,
            basic_auth: None,
        }
    }
}

impl Arguments for EndpointArguments {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.required("url", |s| &mut s.url);
        v.optional("remote_timeout", |s| &mut s.remote_timeout);
        v.optional("max_backoff_retries", |s| &mut s.max_backoff_retries);
        v.optional("headers", |s| &mut s.headers);
        v.optional("enabled", |s| &mut s.enabled);
        v.block("basic_auth", |s| &mut s.basic_auth);
    }
}

fn generated_config(blocks: usize) -> String {
    let mut text = String::new();
    for i in 0..blocks {
        let _ = write!(
            text,
            r#"// endpoint {i}
bench.endpoint "e{i}" {{
	url                 = string.format("https://profiles-%d.example.com:%d/", {i}, 4040 + {i} % 7)
	remote_timeout      = "1m30s"
	max_backoff_retries = {i} % 10 + 1
	headers             = {{
		"X-Scope-OrgID" = "tenant-" + string.to_lower("ABC{i}"),
		"X-Priority"    = "high",
	}}
	enabled = !({i} % 3 == 0) || coalesce(sys.env("UNSET_BENCH_VARIABLE"), "x") == "x"

	basic_auth {{
		username = "user{i}"
		password = encoding.to_base64("secret{i}")
	}}
}}

"#
        );
    }
    text
}

fn parse_and_decode(text: &str, scope: &Scope) -> usize {
    let src = SourceFile::new("bench.alloy", text);
    let (file, diagnostics) = parse_file(&src);
    assert!(!diagnostics.has_errors(), "generated config must parse");
    let evaluator = Evaluator::new(&src, scope);
    let mut decoded = 0;
    for stmt in &file.body.stmts {
        if let Stmt::Block(block) = stmt {
            let args: EndpointArguments =
                decode_arguments(block, &evaluator).expect("generated block must decode");
            decoded += usize::from(args.enabled);
        }
    }
    decoded
}

fn bench_config_load(c: &mut Criterion) {
    let text = generated_config(BLOCKS);
    let scope = Scope::new();
    assert_eq!(parse_and_decode(&text, &scope), BLOCKS);

    let mut group = c.benchmark_group("config_load");
    group.bench_function("parse_1000_blocks", |b| {
        b.iter(|| {
            let src = SourceFile::new("bench.alloy", black_box(text.as_str()));
            parse_file(&src).0.body.stmts.len()
        })
    });
    group.bench_function("parse_evaluate_decode_1000_blocks", |b| {
        b.iter(|| parse_and_decode(black_box(&text), &scope))
    });
    group.finish();
}

criterion_group!(benches, bench_config_load);
criterion_main!(benches);
