//! Throughput of the engine's write path without Python: metric points queued to a `Store` on
//! a fresh SQLite file until committed, at several transaction sizes.
//!
//! `cargo bench --bench writer`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mlrs::engine::Store;
use mlrs::engine::writer::WriterConfig;

const POINTS: u64 = 100_000;

fn log_until_committed(store: &Store, run_id: &str) {
    for step in 0..POINTS as i64 {
        let op = store.metric_op(run_id, "loss", 0.5, Some(1), step).unwrap();
        store.enqueue(op).unwrap();
    }
    store.flush().unwrap();
}

fn writer_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("writer");
    group.throughput(Throughput::Elements(POINTS));
    group.sample_size(10);
    for max_batch_ops in [1, 64, 1024] {
        group.bench_function(
            BenchmarkId::new("metric points, batch", max_batch_ops),
            |b| {
                b.iter_batched(
                    || {
                        let dir = tempfile::tempdir().unwrap();
                        let config = WriterConfig {
                            max_batch_ops,
                            ..WriterConfig::default()
                        };
                        let store = Store::open(&dir.path().join("b.db"), "/a", config).unwrap();
                        let run_id = store.create_run("0", "bench", 0, None, Vec::new()).unwrap();
                        (dir, store, run_id.info.run_id)
                    },
                    |(dir, store, run_id)| {
                        log_until_committed(&store, &run_id);
                        black_box(dir)
                    },
                    criterion::BatchSize::PerIteration,
                );
            },
        );
    }
    group.finish();
}

criterion_group!(benches, writer_throughput);
criterion_main!(benches);
