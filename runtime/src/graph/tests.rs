//! Graph building: every rule and message of runtime §2, §3, §5, §6.1 and §8, the graph parts
//! of §15 items 4, 7 and 8, and the graph rows of §16.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::sync::Arc;

use ferroalloy_component::{
    BoxFuture, BuildError, ComponentRegistry, DynArgs, DynComponent, ExportSpec, Options,
    Registration, Stability,
};
use ferroalloy_syntax::parser::parse_file;
use ferroalloy_syntax::{Diagnostic, Diagnostics, SourceFile, ast};
use ferroalloy_value::Value;
use ferroalloy_value::decode::{Arguments, FieldVisitor, decode_arguments};
use ferroalloy_value::eval::Evaluator;

use super::*;

/// Arguments of every test component type: any value, and a list of receivers.
#[derive(Clone, Debug, Default, PartialEq)]
struct TestArgs {
    input: Option<Value>,
    forward_to: Vec<Value>,
    nested: Option<NestedArgs>,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct NestedArgs {
    input: Option<Value>,
}

impl Arguments for TestArgs {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("input", |s| &mut s.input);
        v.optional("forward_to", |s| &mut s.forward_to);
        v.block("nested", |s| &mut s.nested);
    }
}

impl Arguments for NestedArgs {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("input", |s| &mut s.input);
    }
}

fn decode(block: &ast::Block, eval: &Evaluator<'_>) -> Result<Arc<dyn DynArgs>, Vec<Diagnostic>> {
    decode_arguments::<TestArgs>(block, eval).map(|args| Arc::new(args) as Arc<dyn DynArgs>)
}

fn build_never(
    _: Options,
    _: Arc<dyn DynArgs>,
) -> BoxFuture<'static, Result<Arc<dyn DynComponent>, BuildError>> {
    Box::pin(async { Err(BuildError::Other("graph tests build nothing".into())) })
}

const CONTENT: &[ExportSpec] = &[ExportSpec {
    name: "content",
    receiver: false,
}];
const RECEIVER: &[ExportSpec] = &[ExportSpec {
    name: "receiver",
    receiver: true,
}];

fn test_type(
    name: &'static str,
    stability: Stability,
    exports: &'static [ExportSpec],
) -> Registration {
    Registration {
        name,
        stability,
        exports,
        schema: TestArgs::schema,
        decode,
        build: build_never,
    }
}

/// `source` exports `content`, `pyroscope.write` a `receiver`, `pyroscope.scrape` nothing; one
/// experimental type and one that shadows the `string` stdlib namespace.
fn registry() -> ComponentRegistry {
    ComponentRegistry::new(vec![
        test_type("source", Stability::GenerallyAvailable, CONTENT),
        test_type("pyroscope.write", Stability::GenerallyAvailable, RECEIVER),
        test_type("pyroscope.scrape", Stability::GenerallyAvailable, &[]),
        test_type("test.experimental", Stability::Experimental, &[]),
        test_type("test.preview", Stability::PublicPreview, &[]),
        test_type("string.shadow", Stability::GenerallyAvailable, &[]),
    ])
    .expect("test registry follows the naming rules")
}

fn parse(files: &[(&str, &str)]) -> Vec<ParsedFile> {
    files
        .iter()
        .map(|(name, text)| {
            let src = SourceFile::new(*name, *text);
            let (file, diagnostics) = parse_file(&src);
            assert!(!diagnostics.has_errors(), "{name}: {diagnostics:?}");
            ParsedFile { src, file }
        })
        .collect()
}

fn build_files_at(files: &[(&str, &str)], stability: Stability) -> (Graph, Vec<String>) {
    let (graph, diagnostics) = Graph::build(&parse(files), &registry(), stability);
    (graph, render(diagnostics))
}

fn build_files(files: &[(&str, &str)]) -> (Graph, Vec<String>) {
    build_files_at(files, Stability::GenerallyAvailable)
}

fn build_one(text: &str) -> (Graph, Vec<String>) {
    build_files(&[("main.alloy", text)])
}

/// Diagnostics in reporting order as `Error: file:l:c: message` / `Warning: …`.
fn render(diagnostics: Vec<Diagnostic>) -> Vec<String> {
    let diagnostics = Diagnostics::from(diagnostics);
    diagnostics
        .sorted()
        .into_iter()
        .map(|d| {
            let severity = if d.is_error() { "Error" } else { "Warning" };
            format!("{severity}: {d}")
        })
        .collect()
}

fn ids(graph: &Graph) -> Vec<&str> {
    graph.nodes().iter().map(|n| n.id.as_str()).collect()
}

// §2 — top-level blocks and attributes.

#[test]
fn components_and_logging_are_nodes_in_source_order() {
    let (graph, diagnostics) = build_files(&[
        ("b.alloy", "source \"z\" {}\n"),
        ("a.alloy", "logging {}\nsource \"y\" {}\n"),
    ]);
    assert_eq!(diagnostics, Vec::<String>::new());
    assert_eq!(ids(&graph), ["logging", "source.y", "source.z"]);
    let logging = graph.node("logging").expect("logging node");
    assert!(matches!(logging.kind, NodeKind::Logging));
    assert!(!logging.is_component());
    let node = graph.node("source.y").expect("component node");
    assert_eq!(
        (node.name.as_str(), node.label.as_deref()),
        ("source", Some("y"))
    );
    assert_eq!(node.src.name(), "a.alloy");
    assert_eq!(
        node.registration().map(|r| r.name),
        Some("source"),
        "the node carries its registration"
    );
}

#[test]
fn ignored_blocks_warn_and_are_not_looked_into() {
    let (graph, diagnostics) =
        build_one("livedebugging {\n  enabled = true\n}\ntracing {\n  write_to = [nope.x.y]\n}\n");
    assert_eq!(
        diagnostics,
        [
            "Warning: main.alloy:1:1: the \"livedebugging\" block has no effect in ferroalloy",
            "Warning: main.alloy:4:1: the \"tracing\" block has no effect in ferroalloy",
        ]
    );
    assert!(graph.nodes().is_empty());
}

#[test]
fn unsupported_alloy_blocks_are_errors_at_the_block_name() {
    let mut text = String::new();
    for name in UNSUPPORTED_BLOCKS {
        text.push_str(&format!("{name} \"x\" {{}}\n"));
    }
    let (graph, diagnostics) = build_one(&text);
    let expected: Vec<String> = UNSUPPORTED_BLOCKS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            format!(
                "Error: main.alloy:{}:1: the \"{name}\" block is not supported by ferroalloy",
                i + 1
            )
        })
        .collect();
    assert_eq!(diagnostics, expected);
    assert!(graph.nodes().is_empty());
}

#[test]
fn top_level_attributes_are_unrecognized() {
    let (_, diagnostics) = build_one("a = 1\nsource \"x\" {}\nb = \"two\"\n");
    assert_eq!(
        diagnostics,
        [
            "Error: main.alloy:1:1: unrecognized attribute a",
            "Error: main.alloy:3:1: unrecognized attribute b",
        ]
    );
}

#[test]
fn leading_zero_warnings_come_from_graph_building() {
    let (_, diagnostics) = build_one("source \"x\" {\n  input = 010\n}\n");
    assert_eq!(
        diagnostics,
        [
            "Warning: main.alloy:2:11: number literal 010 has a leading zero: ferroalloy reads it as decimal 10, Grafana Alloy reads it as octal 8"
        ]
    );
}

// §3 — ids, labels, uniqueness, registry, stability.

#[test]
fn a_component_needs_a_label_and_an_unlabelled_block_captures_nothing() {
    let (graph, diagnostics) =
        build_one("source {}\n\nsource \"x\" {\n  input = source.x.content\n}\n");
    assert_eq!(
        diagnostics,
        [
            "Error: main.alloy:1:1: component \"source\" must have a label",
            "Error: main.alloy:3:1: cannot reference self",
        ]
    );
    assert_eq!(ids(&graph), ["source.x"]);

    let (_, diagnostics) = build_one("source {}\nsource \"y\" {\n  input = source.x.content\n}\n");
    assert_eq!(
        diagnostics,
        [
            "Error: main.alloy:1:1: component \"source\" must have a label",
            "Error: main.alloy:3:11: component \"source.x.content\" does not exist or is out of scope",
        ]
    );
}

#[test]
fn duplicate_ids_across_files_name_the_first_declaration() {
    // Runtime §15 item 4, with the shipped registry.
    let files = parse(&[
        ("a.alloy", "local.file \"x\" {\n  filename = \"/a\"\n}\n"),
        ("b.alloy", "local.file \"x\" {\n  filename = \"/b\"\n}\n"),
    ]);
    let registry = ferroalloy_components::register_all().expect("shipped registry");
    let (graph, diagnostics) = Graph::build(&files, &registry, Stability::GenerallyAvailable);
    assert_eq!(
        render(diagnostics),
        ["Error: b.alloy:1:1: block local.file.x already declared at a.alloy:1:1"]
    );
    assert_eq!(ids(&graph), ["local.file.x"]);
    assert_eq!(
        graph.node("local.file.x").map(|n| n.src.name()),
        Some("a.alloy")
    );
}

#[test]
fn a_repeated_logging_block_is_a_duplicate_and_logging_takes_no_label() {
    let (graph, diagnostics) = build_one("logging {}\n\n  logging {}\n");
    assert_eq!(
        diagnostics,
        ["Error: main.alloy:3:3: block logging already declared at main.alloy:1:1"]
    );
    assert_eq!(ids(&graph), ["logging"]);

    let (graph, diagnostics) = build_one("logging \"x\" {}\n");
    assert_eq!(
        diagnostics,
        ["Error: main.alloy:1:1: block \"logging\" does not support specifying labels"]
    );
    assert!(graph.has_errors("logging"));
}

#[test]
fn the_duplicate_span_runs_from_the_name_through_the_label() {
    let files = parse(&[("main.alloy", "source \"x\" {}\nsource \"x\" {}\n")]);
    let (_, diagnostics) = Graph::build(&files, &registry(), Stability::GenerallyAvailable);
    let duplicate = &diagnostics[0];
    assert_eq!((duplicate.start.line, duplicate.start.column), (2, 1));
    assert_eq!(
        duplicate.end.map(|end| (end.line, end.column)),
        Some((2, 10))
    );
}

#[test]
fn unknown_component_names_are_errors_at_the_name() {
    let (graph, diagnostics) = build_one("local.missing \"x\" {}\n  pyroscope.nope \"y\" {}\n");
    assert_eq!(
        diagnostics,
        [
            "Error: main.alloy:1:1: cannot find the definition of component name \"local.missing\"",
            "Error: main.alloy:2:3: cannot find the definition of component name \"pyroscope.nope\"",
        ]
    );
    assert!(graph.nodes().is_empty());
}

#[test]
fn components_below_the_stability_level_are_errors_but_still_nodes() {
    let text = "test.experimental \"x\" {}\ntest.preview \"y\" {}\n";
    let (graph, diagnostics) = build_one(text);
    assert_eq!(
        diagnostics,
        [
            "Error: main.alloy:1:1: component \"test.experimental\" is at stability level \"experimental\", which is below the minimum allowed stability level \"generally-available\". Use --stability.level command-line flag to enable \"experimental\" features",
            "Error: main.alloy:2:1: component \"test.preview\" is at stability level \"public-preview\", which is below the minimum allowed stability level \"generally-available\". Use --stability.level command-line flag to enable \"public-preview\" features",
        ]
    );
    assert_eq!(ids(&graph), ["test.experimental.x", "test.preview.y"]);
    assert!(graph.has_errors("test.experimental.x"));

    let (_, diagnostics) = build_files_at(&[("main.alloy", text)], Stability::PublicPreview);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(
        diagnostics[0].contains("\"public-preview\". Use"),
        "{diagnostics:?}"
    );
    let (_, diagnostics) = build_files_at(&[("main.alloy", text)], Stability::Experimental);
    assert_eq!(diagnostics, Vec::<String>::new());
}

// §5 steps 2–4 — traversals and resolution.

fn expr_traversals(text: &str) -> Vec<String> {
    let src = SourceFile::new(
        "t.alloy",
        format!("source \"t\" {{\n  input = {text}\n}}\n"),
    );
    let (file, diagnostics) = parse_file(&src);
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    let mut found = Vec::new();
    file.body.walk_attributes(&mut |attr| {
        found.extend(traversals(&attr.value).iter().map(Traversal::text));
    });
    found
}

#[test]
fn a_traversal_ends_at_an_index_or_a_call() {
    assert_eq!(expr_traversals("a.b[0].c"), ["a.b"]);
    assert_eq!(expr_traversals("f(x).y"), ["f", "x"]);
    assert_eq!(expr_traversals("a.b[c.d].e"), ["a.b", "c.d"]);
    assert_eq!(
        expr_traversals("[p.q, {k = r.s}, -t + u.v.w, (x).y]"),
        ["p.q", "r.s", "t", "u.v.w", "x"]
    );
    assert_eq!(expr_traversals("\"text\" + 1"), Vec::<String>::new());
}

#[test]
fn a_long_operator_chain_does_not_exhaust_the_stack() {
    let chain = vec!["a.b"; 500].join(" + ");
    assert_eq!(expr_traversals(&chain).len(), 500);
}

#[test]
fn references_resolve_by_the_shortest_prefix_and_keep_the_export() {
    let (graph, diagnostics) = build_one(
        "source \"a\" {}\n\nsource \"b\" {\n  input = [source.a.content[0].x, string.format(\"%s\", source.a.content.more), source.a]\n}\n",
    );
    assert_eq!(diagnostics, Vec::<String>::new());
    let node = graph.node("source.b").expect("node");
    let references: Vec<(&str, Option<&str>, &str)> = node
        .references
        .iter()
        .map(|r| {
            (
                r.target.as_str(),
                r.export.as_deref(),
                node.src.slice(r.span),
            )
        })
        .collect();
    assert_eq!(
        references,
        [
            ("source.a", Some("content"), "source.a.content"),
            ("source.a", Some("content"), "source.a.content.more"),
            ("source.a", None, "source.a"),
        ]
    );
    assert_eq!(graph.dependencies("source.b"), ["source.a"]);
    assert_eq!(graph.dependants("source.a"), ["source.b"]);
}

#[test]
fn references_resolve_into_other_files() {
    let (graph, diagnostics) = build_files(&[
        ("a.alloy", "source \"a\" {\n  input = source.b.content\n}\n"),
        ("b.alloy", "source \"b\" {}\n"),
    ]);
    assert_eq!(diagnostics, Vec::<String>::new());
    assert_eq!(graph.dependencies("source.a"), ["source.b"]);
    assert_eq!(graph.evaluation_order(), ["source.b", "source.a"]);
}

#[test]
fn module_path_and_stdlib_roots_are_not_component_references() {
    let (graph, diagnostics) = build_one(
        "source \"a\" {\n  input = [module_path, string.to_upper(\"x\"), sys.env(\"HOME\"), constants.os, coalesce(1)]\n}\n",
    );
    assert_eq!(diagnostics, Vec::<String>::new());
    assert!(graph.node("source.a").expect("node").references.is_empty());
}

#[test]
fn unknown_names_do_not_exist_or_are_out_of_scope() {
    // Runtime §15 item 7 (graph part).
    let (graph, diagnostics) = build_one(
        "pyroscope.write \"w\" {}\n\npyroscope.scrape \"t\" {\n  forward_to = [pyroscope.write.nope.receiver, nope]\n}\n",
    );
    assert_eq!(
        diagnostics,
        [
            "Error: main.alloy:4:17: component \"pyroscope.write.nope.receiver\" does not exist or is out of scope",
            "Error: main.alloy:4:48: component \"nope\" does not exist or is out of scope",
        ]
    );
    assert!(graph.has_errors("pyroscope.scrape.t"));
    assert!(!graph.has_errors("pyroscope.write.w"));
}

#[test]
fn the_unresolved_span_covers_the_whole_traversal() {
    let files = parse(&[("main.alloy", "source \"a\" {\n  input = nope.x.y\n}\n")]);
    let (_, diagnostics) = Graph::build(&files, &registry(), Stability::GenerallyAvailable);
    let d = &diagnostics[0];
    assert_eq!((d.start.line, d.start.column), (2, 11));
    assert_eq!(d.end.map(|e| (e.line, e.column)), Some((2, 18)));
}

#[test]
fn the_first_export_segment_must_name_an_export_of_the_target_type() {
    let (graph, diagnostics) = build_one(
        "source \"a\" {}\npyroscope.write \"w\" {}\nlogging {}\nsource \"b\" {\n  input = [source.a.nope.deeper, pyroscope.write.w.content, logging.level]\n}\n",
    );
    assert_eq!(
        diagnostics,
        [
            "Error: main.alloy:5:21: component \"source.a\" has no export named \"nope\"",
            "Error: main.alloy:5:52: component \"pyroscope.write.w\" has no export named \"content\"",
            "Error: main.alloy:5:69: component \"logging\" has no export named \"level\"",
        ]
    );
    assert!(graph.has_errors("source.b"));
}

// §5 step 5 — warnings and the stdlib stability gate.

#[test]
fn deprecated_aliases_warn_at_the_identifier() {
    let (_, diagnostics) =
        build_one("source \"a\" {\n  input = [env(\"X\"), to_upper(\"y\"), sys.env(\"X\")]\n}\n");
    assert_eq!(
        diagnostics,
        [
            "Warning: main.alloy:2:12: this stdlib function is deprecated; please refer to the documentation for updated usage and alternatives",
            "Warning: main.alloy:2:22: this stdlib function is deprecated; please refer to the documentation for updated usage and alternatives",
        ]
    );
}

#[test]
fn a_component_named_after_a_stdlib_root_shadows_it() {
    let (graph, diagnostics) =
        build_one("string.shadow \"s\" {}\nsource \"a\" {\n  input = string.format(\"x\")\n}\n");
    assert_eq!(
        diagnostics,
        ["Warning: main.alloy:1:1: a component is shadowing an existing stdlib name"]
    );
    assert!(graph.node("source.a").expect("node").references.is_empty());
}

#[test]
fn experimental_stdlib_functions_are_errors_below_the_stability_level() {
    let text = "source \"a\" {\n  input = array.combine_maps([], [], [\"k\"])\n}\nsource \"b\" {\n  input = array.group_by([], \"k\", false)\n}\n";
    let (graph, diagnostics) = build_one(text);
    assert_eq!(
        diagnostics,
        [
            "Error: main.alloy:2:11: array.combine_maps is at stability level \"experimental\", which is below the minimum allowed stability level \"generally-available\". Use --stability.level command-line flag to enable \"experimental\" features",
            "Error: main.alloy:5:11: array.group_by is at stability level \"experimental\", which is below the minimum allowed stability level \"generally-available\". Use --stability.level command-line flag to enable \"experimental\" features",
        ]
    );
    assert!(graph.has_errors("source.a") && graph.has_errors("source.b"));
    let files = parse(&[("main.alloy", text)]);
    let (_, diagnostics) = Graph::build(&files, &registry(), Stability::GenerallyAvailable);
    let span = &diagnostics[0];
    assert_eq!(span.end.map(|e| (e.line, e.column)), Some((2, 28)));
    let (_, diagnostics) = build_files_at(&[("main.alloy", text)], Stability::PublicPreview);
    assert!(diagnostics[0].contains("minimum allowed stability level \"public-preview\""));
    let (_, diagnostics) = build_files_at(&[("main.alloy", text)], Stability::Experimental);
    assert_eq!(diagnostics, Vec::<String>::new());
}

// §5 step 6 — edges and data flow.

#[test]
fn edges_are_sorted_and_collapse_duplicates() {
    let (graph, diagnostics) = build_one(
        "source \"c\" {}\nsource \"a\" {}\nsource \"b\" {\n  input = [source.c.content, source.a.content, source.c.content]\n  nested {\n    input = source.a.content\n  }\n}\n",
    );
    assert_eq!(diagnostics, Vec::<String>::new());
    assert_eq!(graph.dependencies("source.b"), ["source.a", "source.c"]);
    assert_eq!(graph.dependants("source.a"), ["source.b"]);
    assert_eq!(graph.node("source.b").expect("node").references.len(), 4);
    assert_eq!(graph.dependencies("nope"), Vec::<&str>::new());
}

#[test]
fn data_flows_into_receivers_and_out_of_other_exports() {
    // Runtime §15 item 1 (graph part): a scrape forwarding to a writer, a file feeding it.
    let (graph, diagnostics) = build_one(
        "source \"k\" {}\npyroscope.write \"w\" {\n  input = source.k.content\n}\npyroscope.scrape \"s\" {\n  forward_to = [pyroscope.write.w.receiver]\n}\n",
    );
    assert_eq!(diagnostics, Vec::<String>::new());
    assert_eq!(
        graph.evaluation_order(),
        ["source.k", "pyroscope.write.w", "pyroscope.scrape.s"]
    );
    assert_eq!(
        graph.dependants("pyroscope.write.w"),
        ["pyroscope.scrape.s"]
    );
    assert_eq!(
        graph.data_flow_edges_to("pyroscope.scrape.s"),
        ["pyroscope.write.w"]
    );
    assert_eq!(graph.data_flow_edges_to("source.k"), ["pyroscope.write.w"]);
    assert_eq!(
        graph.data_flow_edges_to("pyroscope.write.w"),
        Vec::<&str>::new()
    );
    assert_eq!(
        graph.data_flow_edges(),
        [
            ("pyroscope.scrape.s", "pyroscope.write.w"),
            ("source.k", "pyroscope.write.w"),
        ]
    );
}

#[test]
fn a_reference_to_a_whole_component_flows_from_it() {
    let (graph, _) =
        build_one("pyroscope.write \"w\" {}\nsource \"a\" {\n  input = pyroscope.write.w\n}\n");
    assert_eq!(graph.data_flow_edges_to("pyroscope.write.w"), ["source.a"]);
}

#[test]
fn logging_may_reference_components() {
    let (graph, diagnostics) =
        build_one("logging {\n  level = source.a.content\n}\nsource \"a\" {}\n");
    assert_eq!(diagnostics, Vec::<String>::new());
    assert_eq!(graph.dependencies("logging"), ["source.a"]);
    assert_eq!(graph.evaluation_order(), ["source.a", "logging"]);
    assert_eq!(graph.shutdown_layers(), [["source.a"]]);
}

// §5 step 7 — cycles and self-references.

#[test]
fn every_member_of_a_cycle_is_reported_with_the_sorted_members() {
    // Runtime §15 item 8 (graph part), across two files.
    let (graph, diagnostics) = build_files(&[
        ("a.alloy", "source \"b\" {\n  input = source.a.content\n}\n"),
        (
            "b.alloy",
            "\nsource \"a\" {\n  input = source.b.content\n}\nsource \"free\" {}\n",
        ),
    ]);
    assert_eq!(
        diagnostics,
        [
            "Error: a.alloy:1:1: cycle detected: source.a, source.b",
            "Error: b.alloy:2:1: cycle detected: source.a, source.b",
        ]
    );
    assert!(graph.has_errors("source.a") && graph.has_errors("source.b"));
    assert!(!graph.has_errors("source.free"));
    // Queries stay total on a graph with a cycle.
    assert_eq!(
        graph.evaluation_order(),
        ["source.free", "source.b", "source.a"]
    );
    assert_eq!(graph.shutdown_layers().concat().len(), 3);
}

#[test]
fn cycle_ids_are_sorted_by_bytes() {
    let (_, diagnostics) = build_one(
        "source \"b\" {\n  input = source.B.content\n}\nsource \"B\" {\n  input = source.a.content\n}\nsource \"a\" {\n  input = source.b.content\n}\n",
    );
    assert_eq!(
        diagnostics,
        [
            "Error: main.alloy:1:1: cycle detected: source.B, source.a, source.b",
            "Error: main.alloy:4:1: cycle detected: source.B, source.a, source.b",
            "Error: main.alloy:7:1: cycle detected: source.B, source.a, source.b",
        ]
    );
}

#[test]
fn a_self_reference_is_reported_once_from_the_name_through_the_brace() {
    let files = parse(&[(
        "main.alloy",
        "source \"me\" {\n  input = [source.me.content, source.me.content]\n}\n",
    )]);
    let (graph, diagnostics) = Graph::build(&files, &registry(), Stability::GenerallyAvailable);
    assert_eq!(
        render(diagnostics.clone()),
        ["Error: main.alloy:1:1: cannot reference self"]
    );
    assert_eq!(
        diagnostics[0].end.map(|e| (e.line, e.column)),
        Some((1, 13))
    );
    assert_eq!(graph.dependencies("source.me"), Vec::<&str>::new());
    assert_eq!(graph.evaluation_order(), ["source.me"]);
}

// §6.1 and §8 — orders.

#[test]
fn evaluation_order_takes_the_first_ready_node_in_source_order() {
    let (graph, diagnostics) = build_files(&[
        (
            "a.alloy",
            "source \"x\" {\n  input = source.z.content\n}\nsource \"y\" {}\n",
        ),
        (
            "b.alloy",
            "source \"z\" {\n  input = source.w.content\n}\nsource \"w\" {}\n",
        ),
    ]);
    assert_eq!(diagnostics, Vec::<String>::new());
    assert_eq!(
        graph.evaluation_order(),
        ["source.y", "source.w", "source.z", "source.x"]
    );
}

#[test]
fn shutdown_layers_stop_dependants_first() {
    let (graph, _) = build_one(
        "source \"k\" {}\npyroscope.write \"w\" {\n  input = source.k.content\n}\npyroscope.scrape \"s\" {\n  forward_to = [pyroscope.write.w.receiver]\n}\npyroscope.scrape \"t\" {\n  forward_to = [pyroscope.write.w.receiver]\n}\nsource \"alone\" {}\n",
    );
    assert_eq!(
        graph.shutdown_layers(),
        vec![
            vec!["pyroscope.scrape.s", "pyroscope.scrape.t", "source.alone"],
            vec!["pyroscope.write.w"],
            vec!["source.k"],
        ]
    );
}

#[test]
fn an_empty_configuration_is_an_empty_graph() {
    let (graph, diagnostics) = build_files(&[]);
    assert!(diagnostics.is_empty() && graph.nodes().is_empty());
    assert!(graph.evaluation_order().is_empty() && graph.shutdown_layers().is_empty());
}

// §16 — every graph problem of one configuration, reported together.

#[test]
fn every_graph_problem_is_reported_together() {
    let (graph, diagnostics) = build_files(&[
        (
            "a.alloy",
            "declare \"d\" {}\nlocal.missing \"m\" {}\nsource {}\nsource \"dup\" {}\n",
        ),
        (
            "b.alloy",
            "source \"dup\" {}\nsource \"refs\" {\n  input = [nope.x, source.dup.nope]\n}\nsource \"c1\" {\n  input = source.c2.content\n}\nsource \"c2\" {\n  input = source.c1.content\n}\ntest.experimental \"e\" {}\n",
        ),
    ]);
    assert_eq!(
        diagnostics,
        [
            "Error: a.alloy:1:1: the \"declare\" block is not supported by ferroalloy",
            "Error: a.alloy:2:1: cannot find the definition of component name \"local.missing\"",
            "Error: a.alloy:3:1: component \"source\" must have a label",
            "Error: b.alloy:1:1: block source.dup already declared at a.alloy:4:1",
            "Error: b.alloy:3:12: component \"nope.x\" does not exist or is out of scope",
            "Error: b.alloy:3:31: component \"source.dup\" has no export named \"nope\"",
            "Error: b.alloy:5:1: cycle detected: source.c1, source.c2",
            "Error: b.alloy:8:1: cycle detected: source.c1, source.c2",
            "Error: b.alloy:11:1: component \"test.experimental\" is at stability level \"experimental\", which is below the minimum allowed stability level \"generally-available\". Use --stability.level command-line flag to enable \"experimental\" features",
        ]
    );
    assert_eq!(
        ids(&graph),
        [
            "source.dup",
            "source.refs",
            "source.c1",
            "source.c2",
            "test.experimental.e"
        ]
    );
}

// Helpers for the controller.

#[test]
fn references_within_an_attribute_and_referencing_values() {
    let (graph, _) = build_one(
        "source \"a\" {}\nsource \"b\" {\n  input = source.a.content\n  nested {\n    input = \"plain\"\n  }\n}\n",
    );
    let node = graph.node("source.b").expect("node");
    let spans = node.referencing_values();
    assert_eq!(spans.len(), 1);
    assert_eq!(node.src.slice(spans[0]), "source.a.content");
    assert_eq!(node.references_within(spans[0]).count(), 1);
    assert_eq!(node.src.slice(node.header_span()), "source \"b\" {");
}

#[test]
fn a_long_chain_of_components_orders_and_layers_without_recursion() {
    const N: usize = 3_000;
    let mut text = String::from("source \"n0\" {}\n");
    for i in 1..N {
        text.push_str(&format!(
            "source \"n{i}\" {{\n  input = source.n{}.content\n}}\n",
            i - 1
        ));
    }
    let (graph, diagnostics) = build_one(&text);
    assert_eq!(diagnostics, Vec::<String>::new());
    let order = graph.evaluation_order();
    assert_eq!(order.len(), N);
    assert_eq!((order[0], order[N - 1]), ("source.n0", "source.n2999"));
    let layers = graph.shutdown_layers();
    assert_eq!(layers.len(), N);
    assert_eq!(
        (layers[0][0], layers[N - 1][0]),
        ("source.n2999", "source.n0")
    );

    // Closing the chain into one cycle reports every member.
    let closed = text.replacen(
        "source \"n0\" {}",
        "source \"n0\" {\n  input = source.n2999.content\n}",
        1,
    );
    let (_, diagnostics) = build_one(&closed);
    assert_eq!(diagnostics.len(), N);
    assert!(
        diagnostics
            .iter()
            .all(|d| d.contains("cycle detected: source.n0, source.n1, source.n10, "))
    );
}
