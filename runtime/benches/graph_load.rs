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
//! - Criterion's figures for each row are taken a minute or more apart on a shared 2-core
//!   machine, so the rows are also measured interleaved: 30 rounds of (initial load on a fresh
//!   controller, unchanged reload, one-change reload), printing medians of wall time, on-CPU
//!   time of all the process's threads and time spent runnable but waiting for a CPU (from
//!   `/proc/self/task/*/schedstat`), and the per-round ratio of (3) to (2). On-CPU time is the
//!   figure least disturbed by other processes.

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
/// Rounds of the interleaved measurement.
const RATIO_ROUNDS: usize = 30;

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

    /// Write the config on disk again, unchanged.
    fn rewrite(&self) {
        self.write(self.on_disk_changed.get());
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
                    // Rewrite the same bytes, as (3) writes its change: both rows then read a
                    // file written just before the load.
                    bench.rewrite();
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

    // `--list` and `--profile-time` (profiling one benchmark) measure nothing to compare.
    let skip = std::env::args().any(|arg| arg == "--list" || arg.starts_with("--profile-time"));
    if !skip {
        interleaved_ratio(&rt, &bench, &controller);
    }
    rt.block_on(controller.shutdown());
}

/// On-CPU and runnable-but-waiting time of every thread of this process so far, from
/// `/proc/self/task/*/schedstat` (Linux); `None` where that is unavailable.
fn process_sched() -> Option<(Duration, Duration)> {
    let mut on_cpu = 0u64;
    let mut waiting = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let text = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        let mut fields = text.split_whitespace().map(str::parse::<u64>);
        on_cpu += fields.next()?.ok()?;
        waiting += fields.next()?.ok()?;
    }
    Some((Duration::from_nanos(on_cpu), Duration::from_nanos(waiting)))
}

/// One load measured three ways.
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    cpu: Option<Duration>,
    waiting: Option<Duration>,
}

async fn sampled_load(controller: &Controller, trigger: Trigger) -> Sample {
    let before = process_sched();
    let wall = timed_load(controller, trigger).await;
    let after = process_sched();
    let delta = before
        .zip(after)
        .map(|(b, a)| (a.0.saturating_sub(b.0), a.1.saturating_sub(b.1)));
    Sample {
        wall,
        cpu: delta.map(|d| d.0),
        waiting: delta.map(|d| d.1),
    }
}

fn median<T: Copy>(mut values: Vec<T>, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) -> Option<T> {
    values.sort_by(cmp);
    values.get(values.len() / 2).copied()
}

fn quartiles(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: usize| {
        values
            .get(values.len() * q / 4)
            .copied()
            .unwrap_or(f64::NAN)
    };
    (at(1), at(2), at(3))
}

fn show(duration: Option<Duration>) -> String {
    duration.map_or_else(
        || "n/a".to_owned(),
        |d| format!("{:.2} ms", d.as_secs_f64() * 1e3),
    )
}

/// Interleave the three measurements in rounds (a fresh controller's initial load, then an
/// unchanged and a one-change reload of the long-lived `controller`) and print medians of
/// wall time, on-CPU time and time spent runnable but waiting for a CPU (other processes'
/// share of the machine; both summed over the process's threads), with the per-round ratio
/// of the two reloads.
fn interleaved_ratio(rt: &Runtime, bench: &Bench, controller: &Controller) {
    let mut rounds: Vec<[Sample; 3]> = Vec::with_capacity(RATIO_ROUNDS);
    rt.block_on(async {
        // Apply whatever is on disk first, so the first "unchanged" reload is one.
        timed_load(controller, Trigger::Http).await;
        for round in 0..RATIO_ROUNDS {
            let before = counts();
            let fresh = bench.controller();
            let initial = sampled_load(&fresh, Trigger::Startup).await;
            fresh.shutdown().await;
            drop(fresh);
            // Alternate which reload follows the fresh controller's teardown, so neither
            // always runs with the colder caches and allocator.
            let (unchanged, changed) = if round % 2 == 0 {
                bench.rewrite();
                let unchanged = sampled_load(controller, Trigger::Http).await;
                bench.toggle();
                (unchanged, sampled_load(controller, Trigger::Http).await)
            } else {
                bench.toggle();
                let changed = sampled_load(controller, Trigger::Http).await;
                bench.rewrite();
                (sampled_load(controller, Trigger::Http).await, changed)
            };
            let after = counts();
            assert_eq!((after.0 - before.0, after.1 - before.1), (BLOCKS, 1));
            rounds.push([initial, unchanged, changed]);
        }
    });
    println!("graph_load_1000/interleaved: {RATIO_ROUNDS} rounds, medians");
    let names = ["initial_load", "reload_unchanged", "reload_one_changed"];
    for (i, name) in names.iter().enumerate() {
        let wall = median(rounds.iter().map(|r| r[i].wall).collect(), Ord::cmp);
        let cpu = median(rounds.iter().filter_map(|r| r[i].cpu).collect(), Ord::cmp);
        let waiting = median(
            rounds.iter().filter_map(|r| r[i].waiting).collect(),
            Ord::cmp,
        );
        println!(
            "  {name:<20} wall {:>10}   on-cpu {:>10}   runnable-waiting {:>10}",
            show(wall),
            show(cpu),
            show(waiting)
        );
    }
    let wall = quartiles(
        rounds
            .iter()
            .map(|r| r[2].wall.as_secs_f64() / r[1].wall.as_secs_f64())
            .collect(),
    );
    println!(
        "  one_changed / unchanged, per round: wall {:.3} (quartiles {:.3} .. {:.3})",
        wall.1, wall.0, wall.2
    );
    let cpu: Vec<f64> = rounds
        .iter()
        .filter_map(|r| Some(r[2].cpu?.as_secs_f64() / r[1].cpu?.as_secs_f64()))
        .collect();
    if !cpu.is_empty() {
        let cpu = quartiles(cpu);
        println!(
            "  one_changed / unchanged, per round: on-cpu {:.3} (quartiles {:.3} .. {:.3})",
            cpu.1, cpu.0, cpu.2
        );
    }
    println!("  build calls per initial load: {BLOCKS}; update calls per one-change reload: 1");
}

criterion_group!(benches, graph_load);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
