//! The `mlrs-writer` thread: block for the first op, drain what else is queued, apply it in one
//! transaction, publish progress, repeat.
//!
//! A batch that fails is never dropped whole. A failure about the ops themselves (a constraint,
//! a refusal) is isolated by splitting the batch until the failing op stands alone: the others
//! commit, the failing op is reported and handed to the discard hook. A failure of the database
//! or the machine (disk full, I/O error, the file gone) keeps the ops and retries them with
//! backoff; callers that wait are told at once, and the ops commit when the cause goes away, or
//! are reported as not stored when `close` gives up at its deadline.

use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use crate::engine::error::{Error, Result};
use crate::engine::writer::op::{self, ControlFn, WriteOp};
use crate::engine::writer::status::Status;

/// Where the writer puts its work: the SQLite store, the remote store's spool, or a probe in
/// tests.
pub trait Sink: Send + 'static {
    /// What a control op runs on (the SQLite connection, the remote store's client).
    type Conn;

    /// Applies data ops in one transaction. `Err` means nothing was applied; `Ok` lists the ops
    /// (by index into `ops`) refused one by one while the rest committed.
    fn apply(&mut self, ops: &[WriteOp]) -> Result<Vec<(usize, Error)>>;

    /// Runs a control op on the connection; it reports its own outcome to its caller.
    fn control(&mut self, f: ControlFn<Self::Conn>);

    /// Fails while nothing can be written (the file gone, ...): control ops wait, data ops are
    /// kept, as after a failed commit.
    fn ready(&mut self) -> Result<()> {
        Ok(())
    }

    /// True when another connection has committed since the last call.
    fn external_change(&mut self) -> bool {
        false
    }
}

/// Called with each op the writer gave up on after reporting its failure, so whoever learned
/// from the op when it was queued (the run cache) can forget it.
pub type Discard = Box<dyn Fn(&WriteOp) + Send>;

/// How often an idle writer looks for commits by other processes.
const IDLE_POLL: Duration = Duration::from_millis(50);
/// Backoff between retries of ops kept after a failure of the database or the machine.
const RETRY_FIRST: Duration = Duration::from_millis(10);
const RETRY_MAX: Duration = Duration::from_millis(500);

pub enum Msg<C> {
    Op(WriteOp),
    Control(ControlFn<C>),
    Close,
}

/// Marks the writer stopped however the thread ends, a panic included, so no caller waits on a
/// thread that is gone.
struct StopOnExit<'a>(&'a Status);

impl Drop for StopOnExit<'_> {
    fn drop(&mut self) {
        let reason = if std::thread::panicking() {
            "the writer thread panicked"
        } else {
            "closed"
        };
        self.0.stop(reason);
    }
}

struct Worker<'a, S> {
    sink: S,
    status: &'a Status,
    discard: Discard,
    batch: Vec<WriteOp>,
}

pub fn run<S: Sink>(
    sink: S,
    rx: &Receiver<Msg<S::Conn>>,
    status: &Status,
    max_batch_ops: usize,
    discard: Discard,
) {
    let _stop = StopOnExit(status);
    let mut worker = Worker {
        sink,
        status,
        discard,
        batch: Vec::with_capacity(max_batch_ops.min(8192)),
    };
    // `recv` fails once every sender is gone and the queue is empty: a dropped store.
    loop {
        let first = match rx.recv_timeout(IDLE_POLL) {
            Ok(first) => first,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                if status.past_deadline() {
                    return;
                }
                worker.poll_external();
                continue;
            }
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
        };
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Control(f) => {
                    if !worker.commit() {
                        return;
                    }
                    worker.sink.control(f);
                    worker.poll_external();
                    status.advance(1);
                }
                Msg::Op(op) => {
                    worker.batch.push(op);
                    if worker.batch.len() >= max_batch_ops && !worker.commit() {
                        return;
                    }
                }
                // Everything submitted before `close` began is ahead of this message; what
                // raced past the refusal behind it is left and counted as not stored.
                Msg::Close => {
                    worker.commit();
                    return;
                }
            }
            if status.past_deadline() {
                return;
            }
            // Ops that queued up during the last commit join this batch (group commit).
            next = rx.try_recv().ok();
        }
        if !worker.commit() {
            return;
        }
    }
}

impl<S: Sink> Worker<'_, S> {
    fn poll_external(&mut self) {
        if self.sink.external_change() {
            self.status.external_change();
        }
    }

    /// Commits the batch. Ops that fail because of the database or the machine are kept and
    /// retried; false when `close`'s deadline passed with ops still kept.
    fn commit(&mut self) -> bool {
        let mut delay = RETRY_FIRST;
        loop {
            match self.apply_isolating() {
                Ok(()) => {
                    self.status.unstall();
                    return true;
                }
                Err(e) => {
                    self.status.stall(&e);
                    if !self.pause(delay) {
                        return false;
                    }
                    delay = (delay * 2).min(RETRY_MAX);
                }
            }
        }
    }

    /// Sleeps `delay` before a retry, in slices, so a `close` that begins meanwhile is seen;
    /// false once its deadline has passed.
    fn pause(&self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            if self.status.past_deadline() {
                return false;
            }
            let now = Instant::now();
            if now >= until {
                return true;
            }
            std::thread::sleep((until - now).min(IDLE_POLL));
        }
    }

    /// Gives up on the batch's op `i`: its failure, naming what was not stored, goes to the next
    /// caller, and the discard hook learns of it.
    fn refuse(&self, i: usize, e: &Error) {
        let op = std::slice::from_ref(&self.batch[i]);
        self.status.fail(&Error::with_code(
            e.code(),
            format!("{e} (not stored: {})", op::describe(op)),
        ));
        (self.discard)(&self.batch[i]);
    }

    /// Applies the batch in one transaction; when that fails because of some op, splits it in
    /// halves until each failing op stands alone, so every other op commits. Finished ops leave
    /// the batch; on a failure of the database or the machine the rest stays for a retry.
    fn apply_isolating(&mut self) -> Result<()> {
        self.sink.ready()?;
        let mut done = 0;
        // Ranges still to apply, the next one last, so they are applied in queue order.
        let mut ranges = vec![(0, self.batch.len())];
        let mut result = Ok(());
        while let Some((start, end)) = ranges.pop() {
            if start == end {
                continue;
            }
            match self.sink.apply(&self.batch[start..end]) {
                Ok(refused) => {
                    for (i, e) in refused {
                        self.refuse(start + i, &e);
                    }
                }
                Err(e) if e.is_transient() => {
                    result = Err(e);
                    break;
                }
                Err(e) if end - start == 1 => self.refuse(start, &e),
                Err(_) => {
                    let mid = start + (end - start) / 2;
                    ranges.push((mid, end));
                    ranges.push((start, mid));
                    continue;
                }
            }
            done = end;
        }
        self.batch.drain(..done);
        self.poll_external();
        self.status.advance(done as u64);
        result
    }
}
