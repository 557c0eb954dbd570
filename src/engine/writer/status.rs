//! What the writer has done so far, shared with the callers that wait for it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::engine::error::{Error, ErrorCode};

#[derive(Default)]
struct State {
    /// How many submitted ops the worker has finished (committed, or failed and reported).
    processed: u64,
    /// The first failure not yet reported to a caller.
    error: Option<(ErrorCode, String)>,
    /// Set once the worker has exited; the reason, for callers that still wait or submit.
    stopped: Option<String>,
}

/// Progress counter, pending error and liveness of one writer.
#[derive(Default)]
pub struct Status {
    state: Mutex<State>,
    changed: Condvar,
    /// Mirrors `state.error.is_some() || state.stopped.is_some()`, so the hot path checks an
    /// atomic instead of taking the lock.
    attention: AtomicBool,
    /// How many times the writer has seen commits by other connections to its database.
    external: AtomicU64,
}

/// The outcome of waiting for the writer to reach a ticket.
#[derive(Debug, PartialEq, Eq)]
pub enum Wait {
    Reached,
    TimedOut,
}

impl Status {
    /// Records that `n` more ops are done and wakes the waiters.
    pub fn advance(&self, n: u64) {
        if n == 0 {
            return;
        }
        self.state.lock().processed += n;
        self.changed.notify_all();
    }

    /// Records that another connection committed to the database.
    pub fn external_change(&self) {
        self.external.fetch_add(1, Ordering::AcqRel);
    }

    pub fn external_epoch(&self) -> u64 {
        self.external.load(Ordering::Acquire)
    }

    /// Keeps the first failure until a caller takes it.
    pub fn fail(&self, error: &Error) {
        let mut state = self.state.lock();
        if state.error.is_none() {
            state.error = Some((error.code(), error.to_string()));
        }
        self.attention.store(true, Ordering::Release);
    }

    /// Marks the worker as gone; every waiter and later caller gets `reason`.
    pub fn stop(&self, reason: &str) {
        self.state
            .lock()
            .stopped
            .get_or_insert_with(|| reason.to_owned());
        self.attention.store(true, Ordering::Release);
        self.changed.notify_all();
    }

    /// Hands a pending failure to the caller (once), or the reason the writer stopped.
    pub fn check(&self) -> Result<(), Error> {
        if !self.attention.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut state = self.state.lock();
        if let Some((code, message)) = state.error.take() {
            if state.stopped.is_none() {
                self.attention.store(false, Ordering::Release);
            }
            return Err(Error::with_code(code, message));
        }
        match &state.stopped {
            Some(reason) => Err(Error::WriterStopped(reason.clone())),
            None => Ok(()),
        }
    }

    /// Blocks until `ticket` ops are done, the writer stops, or `slice` passes.
    pub fn wait(&self, ticket: u64, slice: Duration) -> Result<Wait, Error> {
        let deadline = Instant::now() + slice;
        let mut state = self.state.lock();
        loop {
            if state.processed >= ticket {
                return Ok(Wait::Reached);
            }
            if let Some(reason) = &state.stopped {
                return Err(Error::WriterStopped(reason.clone()));
            }
            if self.changed.wait_until(&mut state, deadline).timed_out() {
                return Ok(if state.processed >= ticket {
                    Wait::Reached
                } else {
                    Wait::TimedOut
                });
            }
        }
    }
}
