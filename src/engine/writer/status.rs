//! What the writer has done so far, shared with the callers that wait for it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::engine::error::{Error, ErrorCode};

#[derive(Default)]
struct State {
    /// How many submitted ops the worker has finished (committed, or refused one by one and
    /// reported). Ops kept for a retry are not counted until they commit.
    processed: u64,
    /// The first failure not yet reported to a caller.
    error: Option<(ErrorCode, String)>,
    /// Set while the worker cannot commit (disk full, I/O error, file gone) and keeps what it
    /// holds for a retry; waiters get this instead of waiting for a commit that may never come.
    stalled: Option<(ErrorCode, String)>,
    /// Failed commit attempts so far; a waiter gives up only on an attempt made while it waits.
    failed_attempts: u64,
    /// Set once `close` has begun: the deadline of the drain. New ops are refused from then on.
    closing: Option<Instant>,
    /// Set once the worker has exited; the reason, for callers that still wait or submit.
    stopped: Option<String>,
}

/// Progress counter, pending error and liveness of one writer.
#[derive(Default)]
pub struct Status {
    state: Mutex<State>,
    changed: Condvar,
    /// Mirrors `error`, `closing` or `stopped` being set, so the hot path checks an atomic
    /// instead of taking the lock.
    attention: AtomicBool,
    /// Mirrors `closing` being set, for the worker's check between ops.
    closing_flag: AtomicBool,
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

    pub fn processed(&self) -> u64 {
        self.state.lock().processed
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

    /// The worker could not commit and keeps its ops for a retry: reported once like any
    /// failure, and to every waiter until a commit succeeds again.
    pub fn stall(&self, error: &Error) {
        let mut state = self.state.lock();
        let first = state.stalled.is_none();
        state.stalled = Some((error.code(), error.to_string()));
        state.failed_attempts += 1;
        if first && state.error.is_none() {
            state.error = Some((error.code(), error.to_string()));
            self.attention.store(true, Ordering::Release);
        }
        drop(state);
        self.changed.notify_all();
    }

    /// A commit succeeded again after a stall.
    pub fn unstall(&self) {
        self.state.lock().stalled = None;
    }

    /// The failure that keeps the worker from committing, if any.
    pub fn stalled(&self) -> Option<Error> {
        let state = self.state.lock();
        state
            .stalled
            .as_ref()
            .map(|(code, message)| Error::with_code(*code, message.clone()))
    }

    /// Starts closing: from now on new ops are refused; the drain ends at `deadline`.
    pub fn begin_close(&self, deadline: Instant) {
        let mut state = self.state.lock();
        if state.closing.is_none_or(|d| deadline < d) {
            state.closing = Some(deadline);
        }
        self.closing_flag.store(true, Ordering::Release);
        self.attention.store(true, Ordering::Release);
        drop(state);
        self.changed.notify_all();
    }

    /// The drain's deadline, once `close` has begun.
    pub fn closing(&self) -> Option<Instant> {
        if !self.closing_flag.load(Ordering::Acquire) {
            return None;
        }
        self.state.lock().closing
    }

    /// True once `close` has begun and its deadline has passed: the worker stops there.
    pub fn past_deadline(&self) -> bool {
        self.closing()
            .is_some_and(|deadline| Instant::now() >= deadline)
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

    /// The reason the worker exited, once it has.
    pub fn stopped(&self) -> Option<Error> {
        let state = self.state.lock();
        state.stopped.clone().map(Error::WriterStopped)
    }

    /// Waits up to `deadline` for the worker to exit; true when it has.
    pub fn wait_stopped(&self, deadline: Instant) -> bool {
        let mut state = self.state.lock();
        while state.stopped.is_none() {
            if self.changed.wait_until(&mut state, deadline).timed_out() {
                return state.stopped.is_some();
            }
        }
        true
    }

    /// Hands a pending failure to the caller (once), or the reason the writer stopped or
    /// refuses new work.
    pub fn check(&self) -> Result<(), Error> {
        if !self.attention.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut state = self.state.lock();
        if let Some((code, message)) = state.error.take() {
            if state.stopped.is_none() && state.closing.is_none() {
                self.attention.store(false, Ordering::Release);
            }
            return Err(Error::with_code(code, message));
        }
        if let Some(reason) = &state.stopped {
            return Err(Error::WriterStopped(reason.clone()));
        }
        if state.closing.is_some() {
            return Err(Error::WriterStopped(
                "it is closing (the process is exiting); this write was not accepted".to_owned(),
            ));
        }
        // Nothing to report any more (a waiter took the failure): back to the fast path.
        self.attention.store(false, Ordering::Release);
        Ok(())
    }

    /// The pending failure, without the reasons a writer gives for refusing work.
    pub fn take_failure(&self) -> Option<Error> {
        let mut state = self.state.lock();
        state
            .error
            .take()
            .map(|(code, message)| Error::with_code(code, message))
    }

    /// Blocks until `ticket` ops are done, the writer stops, a commit attempt fails while it
    /// waits (the writer keeps the ops and retries, but the caller is told), or `slice` passes.
    pub fn wait(&self, ticket: u64, slice: Duration) -> Result<Wait, Error> {
        let deadline = Instant::now() + slice;
        let mut state = self.state.lock();
        let attempts = state.failed_attempts;
        loop {
            if state.processed >= ticket {
                return Ok(Wait::Reached);
            }
            if let Some(reason) = &state.stopped {
                return Err(Error::WriterStopped(reason.clone()));
            }
            if let Some((code, message)) = state
                .stalled
                .clone()
                .filter(|_| state.failed_attempts > attempts)
            {
                // Taking the pending copy of this failure keeps it from being raised twice.
                if state.error.as_ref().is_some_and(|(_, m)| *m == message) {
                    state.error = None;
                }
                return Err(Error::with_code(code, message));
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
