//! The `mlrs-writer` thread: block for the first op, drain what else is queued, apply it in one
//! transaction, publish progress, repeat.

use crossbeam_channel::Receiver;

use crate::engine::error::{Error, Result};
use crate::engine::writer::op::{ControlFn, WriteOp};
use crate::engine::writer::status::Status;

/// Where the writer puts its work: the SQLite store, or a probe in tests.
pub trait Sink: Send + 'static {
    /// Applies data ops (never `Control`) in one transaction. `Err` means nothing was applied;
    /// `Ok` may carry failures of single ops that did not stop the rest.
    fn apply(&mut self, ops: &[WriteOp]) -> Result<Vec<Error>>;

    /// Runs a control op on the connection; it reports its own outcome to its caller.
    fn control(&mut self, f: ControlFn);

    /// True when another connection has committed since the last call.
    fn external_change(&mut self) -> bool {
        false
    }
}

/// How often an idle writer looks for commits by other processes.
const IDLE_POLL: std::time::Duration = std::time::Duration::from_millis(50);

pub enum Msg {
    Op(WriteOp),
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

pub fn run<S: Sink>(mut sink: S, rx: &Receiver<Msg>, status: &Status, max_batch_ops: usize) {
    let _stop = StopOnExit(status);
    let mut batch: Vec<WriteOp> = Vec::with_capacity(max_batch_ops.min(8192));
    // `recv` fails once every sender is gone and the queue is empty: a dropped store.
    loop {
        let first = match rx.recv_timeout(IDLE_POLL) {
            Ok(first) => first,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                poll_external(&mut sink, status);
                continue;
            }
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
        };
        let mut next = Some(first);
        let mut closing = false;
        while let Some(msg) = next.take() {
            match msg {
                Msg::Op(WriteOp::Control(f)) => {
                    commit(&mut sink, &mut batch, status);
                    sink.control(f);
                    poll_external(&mut sink, status);
                    status.advance(1);
                }
                Msg::Op(op) => {
                    batch.push(op);
                    if batch.len() >= max_batch_ops {
                        commit(&mut sink, &mut batch, status);
                    }
                }
                Msg::Close => closing = true,
            }
            // Ops that queued up during the last commit join this batch (group commit).
            next = rx.try_recv().ok();
        }
        commit(&mut sink, &mut batch, status);
        if closing {
            return;
        }
    }
}

fn poll_external<S: Sink>(sink: &mut S, status: &Status) {
    if sink.external_change() {
        status.external_change();
    }
}

fn commit<S: Sink>(sink: &mut S, batch: &mut Vec<WriteOp>, status: &Status) {
    if batch.is_empty() {
        return;
    }
    match sink.apply(batch) {
        Ok(failures) => failures.iter().for_each(|e| status.fail(e)),
        Err(e) => status.fail(&e),
    }
    let n = batch.len() as u64;
    batch.clear();
    poll_external(sink, status);
    status.advance(n);
}
