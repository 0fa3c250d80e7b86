//! Label rules of pyroscope-write §7 and §9.1 and the `name` grammar of `wire.md` §3.3, table by
//! table, with the exact texts callers see.

use ferroalloy_pyroscope::labels::{
    LabelError, NameError, clean_path, encode_query, ingest_query, join_path, parse_name,
    parse_query, prepare_push, push_labels, quote_rune, render_name, validate,
};
use ferroalloy_pyroscope::{AppendError, Labels};

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

fn pairs(list: &[ferroalloy_pyroscope::types_v1::LabelPair]) -> Vec<(&str, &str)> {
    list.iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect()
}

const NO_EXTERNAL: [(&str, &str); 0] = [];

// ---- §7.1 validation ----

#[test]
fn validation_texts_are_alloys() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "invalid labels in profile: service name is required"),
        (
            &[("service_name", "s"), ("invalid-label", "x")],
            "invalid labels in profile: invalid label name: invalid label name: invalid-label: character is not allowed: '-'",
        ),
        (
            &[("foo", "1"), ("service_name", "s"), ("foo", "2")],
            "invalid labels in profile: duplicate label name: foo",
        ),
        (
            &[("service_name", "s"), ("a b", "x")],
            "invalid labels in profile: invalid label name: invalid label name: a b: character is not allowed: ' '",
        ),
        (
            &[("service_name", "s"), ("", "x")],
            "invalid labels in profile: invalid label name: label name is required",
        ),
        (
            &[("service_name", "s"), ("café", "x")],
            "invalid labels in profile: invalid label name: invalid label name: café: character is not allowed: 'é'",
        ),
        (
            &[("service_name", "s"), ("a\nb", "x")],
            "invalid labels in profile: invalid label name: invalid label name: a\nb: character is not allowed: '\\n'",
        ),
        (
            &[("service_name", "s"), ("a\u{0}", "x")],
            "invalid labels in profile: invalid label name: invalid label name: a\u{0}: character is not allowed: '\\x00'",
        ),
        (
            &[("service_name", "s"), ("a\u{200b}", "x")],
            "invalid labels in profile: invalid label name: invalid label name: a\u{200b}: character is not allowed: '\\u200b'",
        ),
    ];
    for (input, want) in cases {
        let err = validate(&labels(input)).err();
        assert_eq!(
            err.as_ref().map(LabelError::full_text).as_deref(),
            Some(*want),
            "{input:?}"
        );
        let append: Option<AppendError> = err.map(Into::into);
        assert_eq!(
            append,
            Some(AppendError::Rejected((*want).to_owned())),
            "{input:?}"
        );
    }
}

#[test]
fn valid_label_sets() {
    let cases: &[&[(&str, &str)]] = &[
        &[("service_name", "s")],
        // dots, leading digits, underscores
        &[("otel.scope.name", "x"), ("0abc", "y"), ("_x_", "z")],
        // __name__ skips the character check; other reserved names are ordinary names
        &[
            ("__name__", "any-thing at/all"),
            ("__delta__", "false"),
            ("__session_id__", "1"),
        ],
        // empty values are fine
        &[("service_name", "")],
    ];
    for input in cases {
        assert_eq!(validate(&labels(input)), Ok(()), "{input:?}");
    }
}

#[test]
fn first_failure_in_sorted_order_wins() {
    // sorted: "a-x" < "b" = "b": the bad name comes first
    let err = validate(&labels(&[("b", "1"), ("b", "2"), ("a-x", "3")])).err();
    assert_eq!(
        err.map(|e| e.to_string()).as_deref(),
        Some("invalid label name: invalid label name: a-x: character is not allowed: '-'")
    );
    // sorted: "a" = "a" < "z-z": the duplicate comes first
    let err = validate(&labels(&[("z-z", "1"), ("a", "2"), ("a", "3")])).err();
    assert_eq!(
        err.map(|e| e.to_string()).as_deref(),
        Some("duplicate label name: a")
    );
    // the empty name sorts first
    let err = validate(&labels(&[("a", "1"), ("a", "2"), ("", "3")])).err();
    assert_eq!(err, Some(LabelError::EmptyName));
    // byte-wise order: "Z" (0x5A) < "_" (0x5F) < "a"
    let err = validate(&labels(&[("a-", "1"), ("Z-", "2")])).err();
    assert_eq!(
        err,
        Some(LabelError::InvalidName {
            name: "Z-".into(),
            character: '-'
        })
    );
}

#[test]
fn rune_quoting_matches_go() {
    let cases = [
        ('-', "'-'"),
        (' ', "' '"),
        ('é', "'é'"),
        ('\'', "'\\''"),
        ('"', "'\"'"),
        ('\\', "'\\\\'"),
        ('\n', "'\\n'"),
        ('\t', "'\\t'"),
        ('\u{7}', "'\\a'"),
        ('\u{0}', "'\\x00'"),
        ('\u{7f}', "'\\x7f'"),
        ('\u{a0}', "'\\u00a0'"),
        ('\u{ad}', "'\\u00ad'"),
        ('\u{200b}', "'\\u200b'"),
        ('\u{feff}', "'\\ufeff'"),
        ('日', "'日'"),
        ('😀', "'😀'"),
        ('\u{e0001}', "'\\U000e0001'"),
    ];
    for (c, want) in cases {
        assert_eq!(quote_rune(c), want, "{:?}", c);
    }
}

// ---- §7.2 push path ----

#[test]
fn push_pipeline_acceptance_2() {
    let incoming = labels(&[
        ("__name__", "process_cpu"),
        ("__address__", "a:1"),
        ("__meta_x", "y"),
        ("__delta__", "false"),
        ("job", "j"),
        ("foo", "bar"),
        ("service_name", "s"),
    ]);
    let out = prepare_push(incoming, [("foo", "buzz"), ("job", "")]);
    let out = out.map(|l| {
        pairs(&l)
            .iter()
            .map(|(a, b)| format!("{a}={b}"))
            .collect::<Vec<_>>()
    });
    assert_eq!(
        out,
        Ok(vec![
            "__delta__=false".to_owned(),
            "__name__=process_cpu".to_owned(),
            "foo=buzz".to_owned(),
            "service_name=s".to_owned(),
        ])
    );
}

#[test]
fn push_reserved_labels_dropped() {
    let incoming = labels(&[
        ("service_name", "s"),
        ("__scheme__", "http"),
        ("__profile_path__", "/debug/pprof/profile"),
        ("__type__", "t"),
        ("__param_seconds", "14"),
        ("__session_id__", "abc"),
        ("_single", "kept"),
    ]);
    let out = push_labels(incoming, NO_EXTERNAL);
    assert_eq!(pairs(&out), [("_single", "kept"), ("service_name", "s")]);
}

#[test]
fn push_external_labels() {
    // added, overriding, deleting, not filtered and not validated, then sorted
    let incoming = labels(&[("service_name", "s"), ("env", "dev"), ("zone", "z1")]);
    let out = push_labels(
        incoming,
        [
            ("env", "prod"),
            ("zone", ""),
            ("__tenant__", "t"),
            ("bad-name", "v"),
            ("absent", ""),
        ],
    );
    assert_eq!(
        pairs(&out),
        [
            ("__tenant__", "t"),
            ("bad-name", "v"),
            ("env", "prod"),
            ("service_name", "s"),
        ]
    );
    // a map works as the external set too
    let external: std::collections::BTreeMap<String, String> =
        [("cluster".to_owned(), "c1".to_owned())].into();
    let out = push_labels(labels(&[("service_name", "s")]), &external);
    assert_eq!(pairs(&out), [("cluster", "c1"), ("service_name", "s")]);
}

#[test]
fn push_rejects_before_processing() {
    // a reserved label is validated before it would be dropped
    let err = prepare_push(
        labels(&[("service_name", "s"), ("__a-b__", "x")]),
        NO_EXTERNAL,
    );
    assert_eq!(
        err.err().map(|e| e.full_text()).as_deref(),
        Some(
            "invalid labels in profile: invalid label name: invalid label name: __a-b__: character is not allowed: '-'"
        )
    );
}

// ---- §9.1 ingest path ----

#[test]
fn ingest_forwarding_acceptance_15() {
    let incoming = labels(&[
        ("__name__", "app"),
        ("env", "staging"),
        ("key", "value"),
        ("service_name", "my-service"),
    ]);
    let query = ingest_query(
        &incoming,
        [("env", "prod"), ("cluster", "c1")],
        "name=app%7Benv%3Dstaging%2Ckey%3Dvalue%7D&from=1&until=2&format=pprof",
    );
    assert_eq!(
        query.as_deref(),
        Ok(
            "format=pprof&from=1&name=my-service%7Bcluster%3Dc1%2Cenv%3Dprod%2Ckey%3Dvalue%2Cservice_name%3Dmy-service%7D&until=2"
        )
    );
}

#[test]
fn ingest_query_bad_input() {
    // two name pairs and a `;` segment: all removed, one rendered name added
    let incoming = labels(&[("__name__", "app")]);
    let query = ingest_query(
        &incoming,
        NO_EXTERNAL,
        "name=a&x=1;y=2&name=b&spyName=gospy&&%zz=1&ok=%41+b",
    );
    assert_eq!(query.as_deref(), Ok("name=app%7B%7D&ok=A+b&spyName=gospy"));
}

#[test]
fn ingest_labels_rules() {
    // no __ filtering on the ingest path; empty values skipped; empty external deletes
    let incoming = labels(&[
        ("__name__", "app"),
        ("__session_id__", "0123456789abcdef"),
        ("empty", ""),
        ("drop", "me"),
    ]);
    let query = ingest_query(&incoming, [("drop", "")], "");
    assert_eq!(
        query.as_deref(),
        Ok("name=app%7B__session_id__%3D0123456789abcdef%7D")
    );
    // an empty service_name does not replace __name__
    let incoming = labels(&[("__name__", "app"), ("service_name", "")]);
    assert_eq!(
        ingest_query(&incoming, NO_EXTERNAL, "from=1").as_deref(),
        Ok("from=1&name=app%7B%7D")
    );
    // service_name alone becomes the app name
    let incoming = labels(&[("service_name", "svc")]);
    assert_eq!(
        ingest_query(&incoming, NO_EXTERNAL, "").as_deref(),
        Ok("name=svc%7Bservice_name%3Dsvc%7D")
    );
    // validation runs after step 1 (a duplicate __name__ is resolved by it)
    let incoming = labels(&[("__name__", "a"), ("__name__", "b"), ("service_name", "s")]);
    assert_eq!(
        ingest_query(&incoming, NO_EXTERNAL, "").as_deref(),
        Ok("name=s%7Bservice_name%3Ds%7D")
    );
    // and rejects with the push path's texts
    let err = ingest_query(&labels(&[]), NO_EXTERNAL, "");
    assert_eq!(err, Err(LabelError::ServiceNameRequired));
    let err = ingest_query(&labels(&[("__name__", "a"), ("x-y", "1")]), NO_EXTERNAL, "");
    assert_eq!(
        err.err().map(|e| e.full_text()).as_deref(),
        Some(
            "invalid labels in profile: invalid label name: invalid label name: x-y: character is not allowed: '-'"
        )
    );
}

#[test]
fn render_name_acceptance_6() {
    assert_eq!(
        render_name([("__name__", "app"), ("b", "2"), ("a", "1")]),
        "app{a=1,b=2}"
    );
    assert_eq!(render_name([("a", "1")]), "{a=1}");
    assert_eq!(render_name([("__name__", "app")]), "app{}");
    // no quoting or escaping
    assert_eq!(
        render_name([("__name__", "my-svc"), ("env", "prod"), ("cluster", "c 1")]),
        "my-svc{cluster=c 1,env=prod}"
    );
}

#[test]
fn query_codec_matches_go() {
    let parsed = parse_query("a=1&&b&c=x=y&d=%2f%2F&e=+%20&%=bad&f=%4&g;h=1&a=2");
    let as_text: Vec<(String, String)> = parsed
        .iter()
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(k).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("a", "1"),
        ("b", ""),
        ("c", "x=y"),
        ("d", "//"),
        ("e", "  "),
        ("a", "2"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(as_text, want);
    // sorted keys, values of one key in order, Go's QueryEscape alphabet
    assert_eq!(encode_query(parsed), "a=1&a=2&b=&c=x%3Dy&d=%2F%2F&e=++");
    assert_eq!(
        encode_query(vec![(
            b"k~".to_vec(),
            b"A-z_0.9~ /:?&=\xff\xc3\xa9".to_vec()
        )]),
        "k~=A-z_0.9~+%2F%3A%3F%26%3D%FF%C3%A9"
    );
    assert_eq!(encode_query(parse_query("")), "");
}

#[test]
fn path_join_matches_go() {
    let joins = [
        ("/base/", "/ingest", "/base/ingest"),
        ("/base", "/ingest", "/base/ingest"),
        ("", "/ingest", "/ingest"),
        ("/", "/ingest", "/ingest"),
        ("/a/b/../c", "ingest", "/a/c/ingest"),
        ("/a//", "./x/", "/a/x"),
        ("/..", "/ingest", "/ingest"),
        ("", "", ""),
    ];
    for (base, elem, want) in joins {
        assert_eq!(join_path(base, elem), want, "{base:?} + {elem:?}");
    }
    let cleans = [
        ("", "."),
        ("/", "/"),
        ("a/../..", ".."),
        ("../../a", "../../a"),
        ("a/./b/", "a/b"),
        ("//x//y//", "/x/y"),
        ("/a/b/../../..", "/"),
    ];
    for (path, want) in cleans {
        assert_eq!(clean_path(path), want, "{path:?}");
    }
}

// ---- wire §3.3 name grammar ----

fn parsed(name: &str) -> Result<Vec<(String, String)>, String> {
    parse_name(name)
        .map(Labels::into_vec)
        .map_err(|e| e.to_string())
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn name_grammar_accepts() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("app", &[("__name__", "app")]),
        ("  app.cpu  ", &[("__name__", "app.cpu")]),
        (
            "app{env=prod,region=us-east}",
            &[("__name__", "app"), ("env", "prod"), ("region", "us-east")],
        ),
        ("app{invalid-label-syntax}", &[("__name__", "app")]),
        ("my-svc/x_1.2{}", &[("__name__", "my-svc/x_1.2")]),
        (
            " app { k = v , otel.scope.name = com.grafana/x }",
            &[
                ("__name__", "app"),
                ("k", "v"),
                ("otel.scope.name", "com.grafana/x"),
            ],
        ),
        // __name__ inside the braces replaces the app name; later duplicates replace
        (
            "app{__name__=other,a=1,a=2}",
            &[("__name__", "other"), ("a", "2")],
        ),
        // an unterminated value is dropped
        ("app{a=1,b=2", &[("__name__", "app"), ("a", "1")]),
        // after a `}` that ended a value, key reading resumes
        (
            "app{a=1}b=2,c=3}d=4",
            &[("__name__", "app"), ("a", "1"), ("b", "2"), ("c", "3")],
        ),
        // a `}` while reading a key ends parsing
        ("app{a=1,b}c=2,", &[("__name__", "app"), ("a", "1")]),
        // values are raw; empty values are kept
        (
            "app{__session_id__=0123456789abcdef,v= x=y ,e=}",
            &[
                ("__name__", "app"),
                ("__session_id__", "0123456789abcdef"),
                ("v", "x=y"),
                ("e", ""),
            ],
        ),
    ];
    for (name, want) in cases {
        assert_eq!(parsed(name), Ok(owned(want)), "{name:?}");
    }
}

#[test]
fn name_grammar_rejects() {
    let cases = [
        ("", "service name is required"),
        ("   ", "service name is required"),
        ("{a=1}", "service name is required"),
        (
            "my app",
            "invalid service name: my app: character is not allowed: ' '",
        ),
        (
            "app:x{a=1}",
            "invalid service name: app:x: character is not allowed: ':'",
        ),
        (
            "app{a-b=1}",
            "invalid label name: a-b: character is not allowed: '-'",
        ),
        ("app{=1}", "label name is required"),
        ("app{ =1}", "label name is required"),
        (
            "app{a=1}{b=2}",
            "invalid label name: {b: character is not allowed: '{'",
        ),
    ];
    for (name, want) in cases {
        assert_eq!(parsed(name), Err(want.to_owned()), "{name:?}");
    }
    assert_eq!(
        parse_name("app{a.b-c=1}").err(),
        Some(NameError::InvalidLabelName {
            key: "a.b-c".into(),
            character: '-'
        })
    );
}

#[test]
fn parse_then_render_normalises() {
    let labels = parse_name("app{b=2,a=1}");
    let rendered = labels.map(|l| render_name(l.iter()));
    assert_eq!(rendered.as_deref(), Ok("app{a=1,b=2}"));
}
