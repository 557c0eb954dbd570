//! The batching writer: callers validate and enqueue owned ops on a bounded channel; one thread
//! per store drains it and commits everything queued in one transaction (group commit).
//!
//! Invariants:
//! - Ops are applied in the order they entered the channel.
//! - `ticket()` counts ops handed to `try_submit` before they are sent, so once the writer has
//!   processed `ticket()` ops, every op the calling thread submitted earlier is processed.
//! - A batch is never dropped whole: an op that fails because of what it holds is isolated (the
//!   batch is split until it stands alone), reported, and handed to the discard hook; the other
//!   ops commit. A failure of the database or the machine keeps the ops and retries them; while
//!   it lasts, waiters (`flush`, reads) get the failure instead of waiting, and a caller that
//!   finds the queue full gets it instead of blocking.
//! - A failure is reported once, to the next caller of `try_submit`/`flush`/`wait`.
//! - `close_within` refuses new ops from the moment it begins, commits what was queued before,
//!   and gives up at its deadline, returning how many ops were not stored and any failure no
//!   caller was told of. A writer that stopped (closed or panicked) refuses new ops and wakes
//!   every waiter; nobody hangs on it.

mod op;
mod status;
mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{SendTimeoutError, Sender, TrySendError};
use parking_lot::Mutex;

pub use op::{ControlFn, WriteOp};
pub use status::Wait;
pub use worker::{Discard, Sink};

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

/// What `close_within` could not store.
#[derive(Debug)]
pub struct Unstored {
    /// Ops submitted but never committed (kept after a failure, or queued past the deadline).
    pub ops: u64,
    /// A failure that no caller has been told of (a commit that failed during the drain).
    pub failure: Option<Error>,
}

/// The writer of one store; `C` is what its control ops run on ([`Sink::Conn`]).
pub struct Writer<C> {
    tx: Sender<Msg<C>>,
    submitted: AtomicU64,
    status: Arc<Status>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl<C: Send + 'static> Writer<C> {
    /// Starts the `mlrs-writer` thread over `sink`.
    pub fn spawn<S: Sink<Conn = C>>(sink: S, config: WriterConfig) -> Result<Self> {
        Self::spawn_with(sink, config, Box::new(|_| {}))
    }

    /// Starts the writer; `discard` is called with every op it gives up on (after reporting
    /// the failure), so what callers learned from the op when it was queued can be undone.
    pub fn spawn_with<S: Sink<Conn = C>>(
        sink: S,
        config: WriterConfig,
        discard: Discard,
    ) -> Result<Self> {
        let (tx, rx) = crossbeam_channel::bounded(config.queue_capacity.max(1));
        let status = Arc::new(Status::default());
        let worker_status = Arc::clone(&status);
        let max_batch_ops = config.max_batch_ops.max(1);
        let handle = std::thread::Builder::new()
            .name("mlrs-writer".to_owned())
            .spawn(move || worker::run(sink, &rx, &worker_status, max_batch_ops, discard))
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
            Err(
                TrySendError::Full(Msg::Close | Msg::Control(_)) | TrySendError::Disconnected(_),
            ) => {
                // Counted in `ticket` but refused: count it as done, as `send_waiting` does, so
                // `close` does not report it as accepted and not stored.
                self.status.advance(1);
                Err(self.stopped_error())
            }
        }
    }

    /// Finishes a submission that found the queue full: waits for room, unless the writer
    /// cannot commit (then the op is refused with the reason instead of waiting for good).
    pub fn submit_blocking(&self, op: WriteOp) -> Result<()> {
        self.send_waiting(Msg::Op(op))
    }

    /// Enqueues a control op, waiting for room as [`Writer::submit_blocking`] does; it runs
    /// after everything queued before it.
    pub fn submit_control(&self, f: ControlFn<C>) -> Result<()> {
        self.status.check()?;
        self.submitted.fetch_add(1, Ordering::SeqCst);
        self.send_waiting(Msg::Control(f))
    }

    /// Sends `msg` (already counted in `ticket`), waiting for room unless the writer cannot
    /// commit or is closing.
    fn send_waiting(&self, mut msg: Msg<C>) -> Result<()> {
        loop {
            match self.tx.send_timeout(msg, Duration::from_millis(50)) {
                Ok(()) => return Ok(()),
                Err(SendTimeoutError::Timeout(back)) => {
                    let refusal = self
                        .status
                        .stalled()
                        .map_or_else(|| self.status.closing().map(|_| self.stopped_error()), Some);
                    if let Some(e) = refusal {
                        // Counted in `ticket` but never queued: count it as done, so
                        // waiters are not left waiting for it.
                        self.status.advance(1);
                        return Err(e);
                    }
                    msg = back;
                }
                Err(SendTimeoutError::Disconnected(_)) => return Err(self.stopped_error()),
            }
        }
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

    /// Why a queued op may not be applied soon: the failure that keeps the writer from
    /// committing, while it lasts, or the reason the writer stopped.
    pub fn blocked(&self) -> Option<Error> {
        self.status.stalled().or_else(|| self.status.stopped())
    }

    /// Waits until everything submitted so far is committed, then reports any failure.
    pub fn flush(&self) -> Result<()> {
        let ticket = self.ticket();
        while self.wait(ticket, Duration::from_millis(100))? == Wait::TimedOut {}
        self.check()
    }

    /// Drains the queue, commits, stops the thread and joins it. Later submissions are refused.
    /// Fails when something was not stored.
    pub fn close(&self) -> Result<()> {
        let unstored = self.close_within(Duration::from_hours(24));
        match unstored.failure {
            Some(e) => Err(e),
            None if unstored.ops > 0 => Err(Error::WriterStopped(format!(
                "{} queued writes were not stored",
                unstored.ops
            ))),
            None => Ok(()),
        }
    }

    /// True once `close` has begun: new ops are refused.
    pub fn is_closing(&self) -> bool {
        self.status.closing().is_some()
    }

    /// Refuses new ops from now on, commits what was queued before, and stops the thread, all
    /// within `timeout` (a writer that cannot commit gives up then). Says what was not stored.
    pub fn close_within(&self, timeout: Duration) -> Unstored {
        let deadline = Instant::now() + timeout;
        self.status.begin_close(deadline);
        let handle = self.worker.lock().take();
        if let Some(handle) = handle {
            // The worker applies everything queued before `Close`, then exits; a full queue
            // that does not move is left to the deadline, which the worker watches too.
            let wait = deadline.saturating_duration_since(Instant::now());
            let _ = self.tx.send_timeout(Msg::Close, wait);
            if self.status.wait_stopped(deadline) {
                let _ = handle.join();
            }
        }
        Unstored {
            ops: self.ticket().saturating_sub(self.status.processed()),
            failure: self.status.take_failure(),
        }
    }

    fn stopped_error(&self) -> Error {
        self.status
            .check()
            .err()
            .unwrap_or_else(|| Error::WriterStopped("closed".to_owned()))
    }
}

impl<C> Drop for Writer<C> {
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
        /// Attempts that fail as a full disk does, before commits succeed again.
        disk_full: Arc<AtomicUsize>,
        /// A metric step whose op is refused whenever it is in a batch.
        poison: Arc<Mutex<Option<i64>>>,
        gate: Arc<Mutex<()>>,
        /// Told each time the writer starts applying a batch, when set.
        entered: Arc<Mutex<Option<crossbeam_channel::Sender<()>>>>,
    }

    impl Sink for Probe {
        fn apply(&mut self, ops: &[WriteOp]) -> Result<Vec<(usize, Error)>> {
            if let Some(entered) = self.entered.lock().as_ref() {
                let _ = entered.send(());
            }
            let _gate = self.gate.lock();
            if self.fail_next.swap(false, Ordering::SeqCst) {
                return Err(Error::internal("disk I/O error"));
            }
            if self
                .disk_full
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(Error::Sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                    None,
                )));
            }
            let poison = *self.poison.lock();
            if ops
                .iter()
                .any(|op| matches!(op, WriteOp::Metric { point, .. } if Some(point.step) == poison))
            {
                return Err(Error::Sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
                    Some("FOREIGN KEY constraint failed".into()),
                )));
            }
            self.batches.lock().push(ops.len());
            self.applied.fetch_add(ops.len(), Ordering::SeqCst);
            Ok(Vec::new())
        }

        type Conn = ();

        fn control(&mut self, f: ControlFn<()>) {
            f(&mut ());
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
        assert_eq!(
            err.to_string(),
            "disk I/O error (not stored: 1 metric points, 0 params, 0 tags of run(s) r)"
        );
        writer.submit(metric(1)).unwrap();
        writer.flush().unwrap();
        assert_eq!(probe.applied.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn one_failing_op_is_isolated_and_the_rest_of_its_batch_commits() {
        let probe = Probe::default();
        *probe.poison.lock() = Some(500);
        let discarded = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&discarded);
        let writer = Writer::spawn_with(
            probe.clone(),
            WriterConfig::default(),
            Box::new(move |op| {
                if let WriteOp::Metric { point, .. } = op {
                    seen.lock().push(point.step);
                }
            }),
        )
        .unwrap();
        {
            // Everything queues while the sink is held, so it all lands in one batch.
            let _hold = probe.gate.lock();
            for i in 0..1000 {
                writer.submit(metric(i)).unwrap();
            }
        }
        let err = writer.flush().unwrap_err();
        assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
        assert_eq!(probe.applied.load(Ordering::SeqCst), 999);
        assert_eq!(*discarded.lock(), [500]);
        writer.flush().unwrap();
    }

    #[test]
    fn ops_that_fail_on_a_full_disk_are_kept_and_committed_later() {
        let probe = Probe::default();
        probe.disk_full.store(5, Ordering::SeqCst);
        let writer = Writer::spawn(probe.clone(), WriterConfig::default()).unwrap();
        {
            // Queued while the sink is held: a failure found meanwhile would go to the next
            // `submit` (which then refuses its op) instead of to `flush`.
            let _hold = probe.gate.lock();
            for i in 0..100 {
                writer.submit(metric(i)).unwrap();
            }
        }
        let err = writer.flush().unwrap_err();
        assert!(err.to_string().contains("full"), "{err}");
        // The failure is reported once; the kept ops commit once the disk has room.
        while let Err(e) = writer.flush() {
            assert!(e.to_string().contains("full"), "{e}");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(probe.applied.load(Ordering::SeqCst), 100);
        writer.close().unwrap();
    }

    #[test]
    fn close_refuses_new_ops_and_finishes_while_another_thread_keeps_logging() {
        let probe = Probe::default();
        let writer = Arc::new(Writer::spawn(probe.clone(), WriterConfig::default()).unwrap());
        let logger = {
            let writer = Arc::clone(&writer);
            std::thread::spawn(move || {
                let mut i: u64 = 0;
                while writer.submit(metric(i as i64)).is_ok() {
                    i += 1;
                }
                i
            })
        };
        while probe.applied.load(Ordering::SeqCst) < 1000 {
            std::thread::yield_now();
        }
        let unstored = writer.close_within(Duration::from_mins(10));
        let accepted = logger.join().unwrap();
        assert!(unstored.failure.is_none());
        // `close` counts what was submitted and not applied; the logging thread may be inside
        // its last submission at that moment, which is then refused: at most one op more.
        let accounted = probe.applied.load(Ordering::SeqCst) as u64 + unstored.ops;
        assert!(
            (accepted..=accepted + 1).contains(&accounted),
            "every accepted op is stored or counted as not stored: {accounted} for {accepted}"
        );
    }

    #[test]
    fn close_gives_up_at_its_deadline_and_says_what_it_did_not_store() {
        let probe = Probe::default();
        probe.disk_full.store(usize::MAX, Ordering::SeqCst);
        let writer = Writer::spawn(probe.clone(), WriterConfig::default()).unwrap();
        for i in 0..10 {
            writer.submit(metric(i)).unwrap();
        }
        let unstored = writer.close_within(Duration::from_millis(200));
        assert_eq!(unstored.ops, 10);
        let failure = unstored
            .failure
            .expect("the failure no caller saw is reported");
        assert!(failure.to_string().contains("full"), "{failure}");
    }

    #[test]
    fn a_full_queue_does_not_block_a_caller_while_the_writer_cannot_commit() {
        let probe = Probe::default();
        probe.disk_full.store(usize::MAX, Ordering::SeqCst);
        let config = WriterConfig {
            queue_capacity: 4,
            max_batch_ops: 2,
        };
        let writer = Writer::spawn(probe.clone(), config).unwrap();
        let mut refused = None;
        for i in 0..100 {
            if let Err(e) = writer.submit(metric(i)) {
                refused = Some(e);
                if writer.blocked().is_some() && i > 8 {
                    break;
                }
            }
        }
        let err = refused.expect("a caller is told the writer cannot commit");
        assert!(err.to_string().contains("full"), "{err}");
        probe.disk_full.store(0, Ordering::SeqCst);
        writer.close().unwrap();
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
            .submit_control(Box::new(move |()| {
                tx.send(applied.load(Ordering::SeqCst)).unwrap();
            }))
            .unwrap();
        assert_eq!(rx.recv().unwrap(), 100);
        writer.close().unwrap();
    }
}
