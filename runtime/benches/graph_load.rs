//! Load and reload a graph of 1,000 components through the real controller — the runtime's
//! share of the DESIGN budget "parse + evaluate 1,000 components < 100 ms; reload of one
//! changed block touches only that block".
//!
//! Design decisions:
//! - The component type (`bench.node`) is defined here so the figures measure the runtime, not
//!   a shipped component's I/O. It counts its `build` and `update` calls; before anything is
//!   timed, the counts are asserted (a load builds 1,000 and updates none; an unchanged reload
//!   calls nothing; a one-block change calls `update` exactly once, on that block, and builds
//!   nothing), so the benchmark cannot silently measure the wrong thing.
//! - The config has real edges: block `n<i>` references the export of `n<i-10>`, giving ten
//!   chains of 100 blocks and 990 references. The changed block sits mid-chain (`n500`, 49
//!   transitive dependants) and changes an attribute that does not feed its export, so a
//!   correct runtime re-evaluates nothing else.
//! - Each timed iteration is `load(trigger)` followed by `wait_idle()`, so propagation queued
//!   during the load is counted. File writes, controller creation and shutdown are untimed
//!   (`iter_custom`).
//! - Two breakdown rows run phases 1-3 alone (read + hash + parse, then + graph build) with
//!   the functions the controller calls, so the evaluation share of a reload is the
//!   difference between (2) and `phases_read_parse_graph`.
//! - Criterion's figures for the two reloads are taken minutes apart on a shared machine, so
//!   the ratio of (3) to (2) is also measured directly: the two reloads alternate on one
//!   controller and the median of the per-pair ratios is printed.

#![allow(missing_docs)] // criterion_group! generates an undocumented public function
#![allow(clippy::expect_used)] // a benchmark whose setup fails is a broken benchmark
#![allow(clippy::print_stdout)] // the interleaved ratio is reported on stdout, like criterion's

use std::cell::Cell;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use ferroalloy_component::{
    Arguments, BuildError, Component, ComponentRegistry, ExportSpec, Exports, FieldVisitor,
    Options, Stability, registration,
};
use ferroalloy_runtime::config::sources::{config_hash, read_sources};
use ferroalloy_runtime::controller::{Controller, ControllerConfig};
use ferroalloy_runtime::graph::{Graph, ParsedFile};
use ferroalloy_runtime::status::{ControlPlane, LoadOutcome, LogSettings, LoggingControl, Trigger};
use ferroalloy_syntax::parser::parse_file;
use ferroalloy_value::{Object, Value};
use indexmap::IndexMap;
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

const BLOCKS: usize = 1_000;
/// Block `n<i>` references `n<i - STRIDE>`.
const STRIDE: usize = 10;
/// The block whose `note` the one-change reload edits.
const CHANGED: usize = 500;
/// Alternating reload pairs for the interleaved ratio.
const RATIO_PAIRS: usize = 40;

static BUILDS: AtomicUsize = AtomicUsize::new(0);
static UPDATES: AtomicUsize = AtomicUsize::new(0);
static UPDATED_IDS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn counts() -> (usize, usize) {
    (
        BUILDS.load(Ordering::SeqCst),
        UPDATES.load(Ordering::SeqCst),
    )
}

fn take_updated_ids() -> Vec<String> {
    std::mem::take(&mut *UPDATED_IDS.lock().unwrap_or_else(PoisonError::into_inner))
}

// ---- bench.node: exports `value` as `out`; `labels` and `note` do not feed the export ----

#[derive(Clone, Debug, Default, PartialEq)]
struct NodeArgs {
    value: i64,
    labels: IndexMap<String, String>,
    note: String,
}

impl Arguments for NodeArgs {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.required("value", |s| &mut s.value);
        v.optional("labels", |s| &mut s.labels);
        v.optional("note", |s| &mut s.note);
    }
}

#[derive(Clone, Debug, PartialEq)]
struct NodeExports {
    out: i64,
}

impl Exports for NodeExports {
    fn specs() -> &'static [ExportSpec] {
        &[ExportSpec {
            name: "out",
            receiver: false,
        }]
    }

    fn to_object(&self) -> Object {
        let mut object = Object::new();
        object.insert("out", Value::int(self.out));
        object
    }
}

struct Node {
    opts: Options,
}

impl Component for Node {
    type Args = NodeArgs;
    type Exports = NodeExports;

    async fn build(opts: Options, args: NodeArgs) -> Result<Arc<Self>, BuildError> {
        BUILDS.fetch_add(1, Ordering::SeqCst);
        opts.publish(&NodeExports { out: args.value });
        Ok(Arc::new(Self { opts }))
    }

    async fn run(self: Arc<Self>, cancel: CancellationToken) -> anyhow::Result<()> {
        cancel.cancelled().await;
        Ok(())
    }

    async fn update(&self, args: NodeArgs) -> Result<(), BuildError> {
        UPDATES.fetch_add(1, Ordering::SeqCst);
        UPDATED_IDS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(self.opts.id.clone());
        self.opts.publish(&NodeExports { out: args.value });
        Ok(())
    }
}

fn registry() -> ComponentRegistry {
    ComponentRegistry::new(vec![registration::<Node>(
        "bench.node",
        Stability::GenerallyAvailable,
    )])
    .expect("valid bench registry")
}

struct NoLogging;

impl LoggingControl for NoLogging {
    fn apply(&self, _: LogSettings) -> Result<(), String> {
        Ok(())
    }
}

// ---- the configuration ----

/// 1,000 blocks; `note_of_changed` is the `note` of block `n<CHANGED>`.
fn config(note_of_changed: &str) -> String {
    let mut text = String::with_capacity(BLOCKS * 200);
    for i in 0..BLOCKS {
        let value = if i < STRIDE {
            format!("{i}")
        } else {
            format!("bench.node.n{}.out + 1", i - STRIDE)
        };
        let note = if i == CHANGED {
            note_of_changed.to_owned()
        } else {
            format!("block {i}")
        };
        let _ = write!(
            text,
            r#"bench.node "n{i}" {{
	value  = {value}
	labels = {{
		"service" = "svc-" + "{svc}",
		"env"     = string.to_lower("PROD"),
	}}
	note = "{note}"
}}

"#,
            svc = i % 7,
        );
    }
    text
}

struct Bench {
    _dir: tempfile::TempDir,
    path: PathBuf,
    original: String,
    changed: String,
    /// Whether the file on disk holds `changed` (else `original`).
    on_disk_changed: Cell<bool>,
}

impl Bench {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("main.alloy");
        let original = config("block changed");
        let changed = config("block changed again");
        std::fs::write(&path, &original).expect("write config");
        Self {
            _dir: dir,
            path,
            original,
            changed,
            on_disk_changed: Cell::new(false),
        }
    }

    fn controller(&self) -> Arc<Controller> {
        Controller::new(ControllerConfig {
            registry: registry(),
            config_path: self.path.clone(),
            storage_path: self.path.with_file_name("data"),
            stability: Stability::GenerallyAvailable,
            shutdown_deadline: Duration::from_secs(10),
            logging: Arc::new(NoLogging),
        })
    }

    fn write(&self, changed: bool) {
        let text = if changed {
            &self.changed
        } else {
            &self.original
        };
        std::fs::write(&self.path, text).expect("write config");
        self.on_disk_changed.set(changed);
    }

    /// Write the config that differs from the one on disk in block `n<CHANGED>` only.
    fn toggle(&self) {
        self.write(!self.on_disk_changed.get());
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// One timed load: `load(trigger)` then `wait_idle()`; asserts the outcome is `ok`.
async fn timed_load(controller: &Controller, trigger: Trigger) -> Duration {
    let started = Instant::now();
    let report = controller.load(trigger).await.expect("not shutting down");
    controller.wait_idle().await;
    let elapsed = started.elapsed();
    assert_eq!(
        report.outcome,
        LoadOutcome::Ok,
        "load failed: {:?}",
        report
            .diagnostics
            .sorted()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    elapsed
}

/// Phases 1 and 2 of a load (read the sources, parse each file), as the controller runs them.
fn read_and_parse(path: &std::path::Path) -> Vec<ParsedFile> {
    let (sources, _) = read_sources(path).expect("read config");
    let hash = config_hash(&sources.files);
    black_box(hash);
    sources
        .files
        .into_iter()
        .map(|src| {
            let (file, diagnostics) = parse_file(&src);
            assert!(!diagnostics.has_errors());
            ParsedFile { src, file }
        })
        .collect()
}

/// The counts a correct runtime produces, checked once before anything is timed.
fn assert_counts(rt: &Runtime, bench: &Bench) {
    rt.block_on(async {
        bench.write(false);
        let controller = bench.controller();
        take_updated_ids();
        let before = counts();
        timed_load(&controller, Trigger::Startup).await;
        let loaded = counts();
        assert_eq!(
            (loaded.0 - before.0, loaded.1 - before.1),
            (BLOCKS, 0),
            "the initial load builds every block and updates none"
        );
        assert_eq!(controller.components().len(), BLOCKS);
        let last = controller
            .component(&format!("bench.node.n{}", BLOCKS - 1))
            .expect("last block exists");
        assert_eq!(
            last.references_to,
            [format!("bench.node.n{}", BLOCKS - 1 - STRIDE)]
        );

        timed_load(&controller, Trigger::Http).await;
        assert_eq!(counts(), loaded, "an unchanged reload calls nothing");

        bench.toggle();
        timed_load(&controller, Trigger::Http).await;
        let reloaded = counts();
        assert_eq!(
            (reloaded.0 - loaded.0, reloaded.1 - loaded.1),
            (0, 1),
            "a one-block change builds nothing and updates exactly once"
        );
        assert_eq!(take_updated_ids(), [format!("bench.node.n{CHANGED}")]);
        controller.shutdown().await;
    });
}

fn graph_load(c: &mut Criterion) {
    let rt = runtime();
    let bench = Bench::new();
    assert_counts(&rt, &bench);

    let mut group = c.benchmark_group("graph_load_1000");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));

    // (1) The initial load: read + parse + graph + evaluate + build (and start tasks).
    group.bench_function("initial_load", |b| {
        bench.write(false);
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let controller = bench.controller();
                    total += timed_load(&controller, Trigger::Startup).await;
                    controller.shutdown().await;
                }
                total
            })
        });
    });

    let controller = rt.block_on(async {
        bench.write(false);
        let controller = bench.controller();
        timed_load(&controller, Trigger::Startup).await;
        controller
    });

    // (2) The baseline: an unchanged reload evaluates every block and calls nothing.
    group.bench_function("reload_unchanged", |b| {
        bench.write(false);
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += timed_load(&controller, Trigger::Http).await;
                }
                total
            })
        });
    });

    // (3) One changed block: the same work plus one `update`.
    group.bench_function("reload_one_changed", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    bench.toggle();
                    total += timed_load(&controller, Trigger::Http).await;
                }
                total
            })
        });
    });

    // Breakdown of (2): phases 1-3 alone, the same functions the controller calls.
    bench.write(false);
    let registry = registry();
    group.bench_function("phases_read_parse", |b| {
        b.iter(|| black_box(read_and_parse(&bench.path)));
    });
    group.bench_function("phases_read_parse_graph", |b| {
        b.iter(|| {
            let parsed = read_and_parse(&bench.path);
            let (graph, diagnostics) =
                Graph::build(&parsed, &registry, Stability::GenerallyAvailable);
            assert!(diagnostics.is_empty());
            black_box(graph)
        });
    });
    group.finish();

    interleaved_ratio(&rt, &bench, &controller);
    rt.block_on(controller.shutdown());
}

/// Alternate unchanged and one-change reloads on one controller and print the median ratio.
fn interleaved_ratio(rt: &Runtime, bench: &Bench, controller: &Controller) {
    let mut ratios = Vec::with_capacity(RATIO_PAIRS);
    let mut unchanged_all = Vec::with_capacity(RATIO_PAIRS);
    let mut changed_all = Vec::with_capacity(RATIO_PAIRS);
    rt.block_on(async {
        // Apply whatever is on disk first, so the first "unchanged" reload is one.
        timed_load(controller, Trigger::Http).await;
        for _ in 0..RATIO_PAIRS {
            let before = counts();
            let unchanged = timed_load(controller, Trigger::Http).await;
            bench.toggle();
            let changed = timed_load(controller, Trigger::Http).await;
            let after = counts();
            assert_eq!((after.0 - before.0, after.1 - before.1), (0, 1));
            ratios.push(changed.as_secs_f64() / unchanged.as_secs_f64());
            unchanged_all.push(unchanged);
            changed_all.push(changed);
        }
    });
    ratios.sort_by(f64::total_cmp);
    unchanged_all.sort();
    changed_all.sort();
    let mid = RATIO_PAIRS / 2;
    println!(
        "graph_load_1000/interleaved: {RATIO_PAIRS} pairs; median reload_unchanged {:.2?}, \
         median reload_one_changed {:.2?}, median ratio one_changed/unchanged {:.3} \
         (quartiles {:.3} .. {:.3}); update calls per one-change reload: 1",
        unchanged_all[mid],
        changed_all[mid],
        ratios[mid],
        ratios[RATIO_PAIRS / 4],
        ratios[RATIO_PAIRS * 3 / 4],
    );
}

criterion_group!(benches, graph_load);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
