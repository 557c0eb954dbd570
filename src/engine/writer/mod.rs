//! The batching writer: callers validate and enqueue owned ops on a bounded channel; one thread
//! per store drains it and commits everything queued in one transaction (group commit).
//!
//! Invariants:
//! - Ops are applied in the order they entered the channel.
//! - `ticket()` counts ops handed to `try_submit` before they are sent, so once the writer has
//!   processed `ticket()` ops, every op the calling thread submitted earlier is processed.
//! - A failure is kept and handed to the next caller of `try_submit`/`flush`/`close`; the writer
//!   itself carries on. A writer that stopped (closed or panicked) refuses new ops and wakes
//!   every waiter; nobody hangs on it.

mod op;
mod status;
mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Sender, TrySendError};
use parking_lot::Mutex;

pub use op::{ControlFn, WriteOp};
pub use status::Wait;
pub use worker::Sink;

use crate::engine::error::{Error, Result};
use status::Status;
use worker::Msg;

/// Sizes of the queue and of one transaction.
#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    /// Ops the channel holds before `try_submit` reports it full (back-pressure).
    pub queue_capacity: usize,
    /// Most ops applied in one transaction; bounds what a crash can lose mid-commit.
    pub max_batch_ops: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 32_768,
            max_batch_ops: 8_192,
        }
    }
}

/// What happened to an op handed to [`Writer::try_submit`].
#[derive(Debug)]
pub enum Submitted {
    Queued,
    /// The queue is full; pass the op to [`Writer::submit_blocking`] (without the GIL).
    Full(WriteOp),
}

pub struct Writer {
    tx: Sender<Msg>,
    submitted: AtomicU64,
    status: Arc<Status>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the `mlrs-writer` thread over `sink`.
    pub fn spawn<S: Sink>(sink: S, config: WriterConfig) -> Result<Self> {
        let (tx, rx) = crossbeam_channel::bounded(config.queue_capacity.max(1));
        let status = Arc::new(Status::default());
        let worker_status = Arc::clone(&status);
        let max_batch_ops = config.max_batch_ops.max(1);
        let handle = std::thread::Builder::new()
            .name("mlrs-writer".to_owned())
            .spawn(move || worker::run(sink, &rx, &worker_status, max_batch_ops))
            .map_err(|e| Error::internal(format!("cannot start the mlrs writer thread: {e}")))?;
        Ok(Self {
            tx,
            submitted: AtomicU64::new(0),
            status,
            worker: Mutex::new(Some(handle)),
        })
    }

    /// Enqueues without blocking. A pending failure of earlier work is returned instead.
    pub fn try_submit(&self, op: WriteOp) -> Result<Submitted> {
        self.status.check()?;
        self.submitted.fetch_add(1, Ordering::SeqCst);
        match self.tx.try_send(Msg::Op(op)) {
            Ok(()) => Ok(Submitted::Queued),
            Err(TrySendError::Full(Msg::Op(op))) => Ok(Submitted::Full(op)),
            Err(TrySendError::Full(Msg::Close) | TrySendError::Disconnected(_)) => {
                Err(self.stopped_error())
            }
        }
    }

    /// Finishes a submission that found the queue full: waits for room.
    pub fn submit_blocking(&self, op: WriteOp) -> Result<()> {
        self.tx.send(Msg::Op(op)).map_err(|_| self.stopped_error())
    }

    /// Enqueues, waiting for room when the queue is full.
    pub fn submit(&self, op: WriteOp) -> Result<()> {
        match self.try_submit(op)? {
            Submitted::Queued => Ok(()),
            Submitted::Full(op) => self.submit_blocking(op),
        }
    }

    /// The number of ops submitted so far: wait for it to see them all done.
    pub fn ticket(&self) -> u64 {
        self.submitted.load(Ordering::SeqCst)
    }

    /// Waits up to `slice` for the writer to finish `ticket` ops.
    pub fn wait(&self, ticket: u64, slice: Duration) -> Result<Wait> {
        self.status.wait(ticket, slice)
    }

    /// Changes whenever the writer notices that another connection (another process) has
    /// committed to the database: after each of its own commits and every 50 ms when idle.
    pub fn external_epoch(&self) -> u64 {
        self.status.external_epoch()
    }

    /// Hands over a pending failure, if any.
    pub fn check(&self) -> Result<()> {
        self.status.check()
    }

    /// Waits until everything submitted so far is committed, then reports any failure.
    pub fn flush(&self) -> Result<()> {
        let ticket = self.ticket();
        while self.wait(ticket, Duration::from_millis(100))? == Wait::TimedOut {}
        self.check()
    }

    /// Drains the queue, commits, stops the thread and joins it. Later submissions are refused.
    pub fn close(&self) -> Result<()> {
        let handle = self.worker.lock().take();
        if let Some(handle) = handle {
            // The worker applies everything queued before `Close`, then exits.
            let _ = self.tx.send(Msg::Close);
            let _ = handle.join();
        }
        match self.status.check() {
            Err(Error::WriterStopped(_)) | Ok(()) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn stopped_error(&self) -> Error {
        self.status
            .check()
            .err()
            .unwrap_or_else(|| Error::WriterStopped("closed".to_owned()))
    }
}

impl Drop for Writer {
    /// Signals the worker and leaves it to finish what is queued; `close` is the way to wait.
    fn drop(&mut self) {
        let _ = self.tx.try_send(Msg::Close);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::engine::model::MetricPoint;

    /// Records what it is asked to apply; fails a batch on demand.
    #[derive(Clone, Default)]
    struct Probe {
        batches: Arc<Mutex<Vec<usize>>>,
        applied: Arc<AtomicUsize>,
        fail_next: Arc<std::sync::atomic::AtomicBool>,
        gate: Arc<Mutex<()>>,
        /// Told each time the writer starts applying a batch, when set.
        entered: Arc<Mutex<Option<crossbeam_channel::Sender<()>>>>,
    }

    impl Sink for Probe {
        fn apply(&mut self, ops: &[WriteOp]) -> Result<Vec<Error>> {
            if let Some(entered) = self.entered.lock().as_ref() {
                let _ = entered.send(());
            }
            let _gate = self.gate.lock();
            if self.fail_next.swap(false, Ordering::SeqCst) {
                return Err(Error::internal("disk I/O error"));
            }
            self.batches.lock().push(ops.len());
            self.applied.fetch_add(ops.len(), Ordering::SeqCst);
            Ok(Vec::new())
        }

        fn control(&mut self, f: ControlFn) {
            f(&mut rusqlite::Connection::open_in_memory().unwrap());
        }
    }

    fn metric(i: i64) -> WriteOp {
        WriteOp::Metric {
            run_id: Arc::from("r"),
            point: MetricPoint::new("m".to_owned(), 1.0, 0, i),
        }
    }

    #[test]
    fn flush_waits_for_every_op() {
        let probe = Probe::default();
        let writer = Writer::spawn(probe.clone(), WriterConfig::default()).unwrap();
        for i in 0..10_000 {
            writer.submit(metric(i)).unwrap();
        }
        writer.flush().unwrap();
        assert_eq!(probe.applied.load(Ordering::SeqCst), 10_000);
        writer.close().unwrap();
    }

    #[test]
    fn batches_grow_while_a_commit_is_in_flight() {
        let probe = Probe::default();
        let config = WriterConfig {
            queue_capacity: 1000,
            max_batch_ops: 64,
        };
        let (entered, applying) = crossbeam_channel::unbounded();
        *probe.entered.lock() = Some(entered);
        let writer = Writer::spawn(probe.clone(), config).unwrap();
        {
            let _hold = probe.gate.lock();
            writer.submit(metric(0)).unwrap();
            // The writer holds op 0 in a commit that waits for the gate: all that follows
            // queues up behind it.
            applying.recv().unwrap();
            for i in 1..200 {
                writer.submit(metric(i)).unwrap();
            }
        }
        writer.flush().unwrap();
        let batches = probe.batches.lock().clone();
        assert_eq!(batches.iter().sum::<usize>(), 200);
        assert!(batches.iter().all(|&n| n <= 64), "{batches:?}");
        assert_eq!(
            batches,
            [1, 64, 64, 64, 7],
            "ops queued during a commit share a batch"
        );
    }

    #[test]
    fn a_full_queue_reports_back_pressure_and_blocking_submit_completes() {
        let probe = Probe::default();
        let config = WriterConfig {
            queue_capacity: 2,
            max_batch_ops: 1,
        };
        let writer = Writer::spawn(probe.clone(), config).unwrap();
        let hold = probe.gate.lock();
        let mut full = None;
        for i in 0..10 {
            if let Submitted::Full(op) = writer.try_submit(metric(i)).unwrap() {
                full = Some(op);
                break;
            }
        }
        let op = full.expect("a queue of 2 fills up while the sink is held");
        drop(hold);
        writer.submit_blocking(op).unwrap();
        writer.flush().unwrap();
        assert_eq!(probe.applied.load(Ordering::SeqCst) as u64, writer.ticket());
    }

    #[test]
    fn a_failed_commit_is_reported_once_and_the_writer_carries_on() {
        let probe = Probe::default();
        let writer = Writer::spawn(probe.clone(), WriterConfig::default()).unwrap();
        probe.fail_next.store(true, Ordering::SeqCst);
        writer.submit(metric(0)).unwrap();
        let err = writer.flush().unwrap_err();
        assert_eq!(err.to_string(), "disk I/O error");
        writer.submit(metric(1)).unwrap();
        writer.flush().unwrap();
        assert_eq!(probe.applied.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_closed_writer_refuses_work_instead_of_hanging() {
        let writer = Writer::spawn(Probe::default(), WriterConfig::default()).unwrap();
        writer.submit(metric(0)).unwrap();
        writer.close().unwrap();
        assert!(matches!(
            writer.submit(metric(1)),
            Err(Error::WriterStopped(_))
        ));
        assert!(matches!(
            writer.flush(),
            Err(Error::WriterStopped(_)) | Ok(())
        ));
        writer.close().unwrap();
    }

    #[test]
    fn control_ops_run_in_queue_order() {
        let probe = Probe::default();
        let writer = Writer::spawn(probe.clone(), WriterConfig::default()).unwrap();
        for i in 0..100 {
            writer.submit(metric(i)).unwrap();
        }
        let (tx, rx) = crossbeam_channel::bounded(1);
        let applied = Arc::clone(&probe.applied);
        writer
            .submit(WriteOp::Control(Box::new(move |_| {
                tx.send(applied.load(Ordering::SeqCst)).unwrap();
            })))
            .unwrap();
        assert_eq!(rx.recv().unwrap(), 100);
        writer.close().unwrap();
    }
}
