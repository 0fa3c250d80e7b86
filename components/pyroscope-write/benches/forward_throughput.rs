//! Forwarding throughput of `pyroscope.write` (criterion, profiles per second), each beside a
//! baseline of the same requests sent straight to the same sinks in the same run:
//!
//! - `pyroscope_write_fanout/{forwarder,direct}/{1,2,4}`: one profile delivered to 1, 2 and 4
//!   fast local endpoints.
//! - `pyroscope_write_dead_endpoint/…`: 2 healthy endpoints alone, the same 2 with a third that
//!   never answers (its queue full and evicting for the whole measurement), and the direct
//!   baseline to the 2 healthy sinks.
//!
//! Design decisions (see `common/mod.rs` for the rig): one criterion iteration is a round of
//! [`BATCH`] appends that ends when every healthy endpoint has delivered all of them, so the
//! throughput is end-to-end (append → HTTP 200), not just enqueueing. The baseline's iteration
//! sends the same [`BATCH`] bodies to each sink with the same concurrency as an endpoint's
//! workers. Rig building, warm-up of the dead queue and shutdown are not timed
//! (`iter_custom`). The sinks live in a child process, so their CPU is not charged to us but
//! still competes for the machine's two cores, as a real co-located server would.

#![allow(missing_docs)] // a bench binary
#![allow(clippy::expect_used)] // a benchmark whose setup fails is a broken benchmark

mod common;

use std::time::Duration;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput};
use tokio::runtime::Runtime;

use common::{Direct, Rig, SinkProcess};

/// Profiles per criterion iteration.
const BATCH: usize = 256;

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(8));
}

async fn forward(rig: &mut Rig, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        total += rig.round(BATCH, None).await;
    }
    total
}

async fn direct(direct: &mut Direct, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        total += direct.round(BATCH).await;
    }
    total
}

fn fanout(c: &mut Criterion, rt: &Runtime, sinks: &SinkProcess, payloads: &[Bytes]) {
    let mut group = c.benchmark_group("pyroscope_write_fanout");
    configure(&mut group);
    for n in [1usize, 2, 4] {
        let mut rig = rt.block_on(Rig::start(sinks, n, 0, None, payloads));
        group.bench_function(BenchmarkId::new("forwarder", n), |b| {
            b.iter_custom(|iters| rt.block_on(forward(&mut rig, iters)));
        });
        rt.block_on(rig.stop());
        let mut baseline = Direct::new(sinks, n, payloads);
        group.bench_function(BenchmarkId::new("direct", n), |b| {
            b.iter_custom(|iters| rt.block_on(direct(&mut baseline, iters)));
        });
    }
    group.finish();
}

fn dead_endpoint(c: &mut Criterion, rt: &Runtime, sinks: &SinkProcess, payloads: &[Bytes]) {
    let mut group = c.benchmark_group("pyroscope_write_dead_endpoint");
    configure(&mut group);

    let mut rig = rt.block_on(Rig::start(sinks, 2, 0, None, payloads));
    group.bench_function("forwarder/2_healthy", |b| {
        b.iter_custom(|iters| rt.block_on(forward(&mut rig, iters)));
    });
    rt.block_on(rig.stop());

    let mut rig = rt.block_on(Rig::start(sinks, 2, 1, None, payloads));
    // Fill the dead endpoint's queue (64 MiB default) so every measured append evicts.
    let fill = (64 << 20) / common::mean_size(payloads) + BATCH;
    rt.block_on(async {
        for _ in 0..fill.div_ceil(BATCH) {
            rig.round(BATCH, None).await;
        }
    });
    group.bench_function("forwarder/2_healthy_1_dead", |b| {
        b.iter_custom(|iters| rt.block_on(forward(&mut rig, iters)));
    });
    rt.block_on(rig.stop());

    let mut baseline = Direct::new(sinks, 2, payloads);
    group.bench_function("direct/2", |b| {
        b.iter_custom(|iters| rt.block_on(direct(&mut baseline, iters)));
    });
    group.finish();
}

fn main() {
    common::sink_main_if_child();
    let sinks = SinkProcess::start();
    let payloads = common::payloads();
    let rt = common::runtime();
    let mut c = Criterion::default().configure_from_args();
    fanout(&mut c, &rt, &sinks, &payloads);
    dead_endpoint(&mut c, &rt, &sinks, &payloads);
    c.final_summary();
}
