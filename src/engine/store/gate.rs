//! Holds every SQLite call of the process off while the process forks.
//!
//! A child of `fork` gets the parent's memory but only the forking thread. If another thread was
//! inside SQLite at that instant, SQLite's global mutexes (the allocator's, the VFS's) stay
//! locked in the child for good, and the child's first `Store::open` deadlocks. So every SQLite
//! call mlrs makes runs inside [`enter`], and the fork hooks call [`pause`] before the fork
//! (it waits until no thread is inside and holds new ones at the door) and [`resume`] after it,
//! in the parent and in the child.
//!
//! Only atomics: a mutex could itself be held by a vanished thread in the child.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

static PAUSED: AtomicBool = AtomicBool::new(false);
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// How deep this thread is inside the gate; only the outermost entry counts in `ACTIVE`.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

const SPIN: Duration = Duration::from_micros(100);

/// A thread inside the gate; leaving happens on drop.
pub struct Entered(());

/// Enters the gate, waiting while a fork is in progress.
pub fn enter() -> Entered {
    let depth = DEPTH.get();
    if depth == 0 {
        loop {
            while PAUSED.load(Ordering::Acquire) {
                std::thread::sleep(SPIN);
            }
            ACTIVE.fetch_add(1, Ordering::AcqRel);
            if !PAUSED.load(Ordering::Acquire) {
                break;
            }
            // A pause began meanwhile: step back out so it can complete.
            ACTIVE.fetch_sub(1, Ordering::AcqRel);
        }
    }
    DEPTH.set(depth + 1);
    Entered(())
}

impl Drop for Entered {
    fn drop(&mut self) {
        let depth = DEPTH.get() - 1;
        DEPTH.set(depth);
        if depth == 0 {
            ACTIVE.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Holds new entries and waits until no thread is inside SQLite (the calling thread excepted
/// if it is inside itself). Call [`resume`] after the fork, in both processes.
pub fn pause() {
    while PAUSED
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        std::thread::sleep(SPIN);
    }
    let own = usize::from(DEPTH.get() > 0);
    while ACTIVE.load(Ordering::Acquire) > own {
        std::thread::sleep(SPIN);
    }
}

/// Lets SQLite calls in again.
pub fn resume() {
    PAUSED.store(false, Ordering::Release);
}

/// A connection that is closed inside the gate too (closing is a SQLite call like any other).
pub struct GatedConnection(Option<rusqlite::Connection>);

impl GatedConnection {
    pub fn new(conn: rusqlite::Connection) -> Self {
        Self(Some(conn))
    }
}

impl std::ops::Deref for GatedConnection {
    type Target = rusqlite::Connection;

    fn deref(&self) -> &rusqlite::Connection {
        self.0.as_ref().expect("taken only on drop")
    }
}

impl std::ops::DerefMut for GatedConnection {
    fn deref_mut(&mut self) -> &mut rusqlite::Connection {
        self.0.as_mut().expect("taken only on drop")
    }
}

impl Drop for GatedConnection {
    fn drop(&mut self) {
        let _inside = enter();
        drop(self.0.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_waits_for_threads_inside_and_holds_new_ones() {
        let inside = enter();
        let nested = enter();
        let (tx, rx) = std::sync::mpsc::channel();
        let pauser = std::thread::spawn(move || {
            pause();
            tx.send(()).unwrap();
            let other = std::thread::spawn(|| drop(enter()));
            std::thread::sleep(Duration::from_millis(20));
            assert!(!other.is_finished(), "a new entry waits while paused");
            resume();
            other.join().unwrap();
        });
        assert!(
            rx.recv_timeout(Duration::from_millis(50)).is_err(),
            "the pause waits for this thread to leave"
        );
        drop(nested);
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
        drop(inside);
        rx.recv().unwrap();
        pauser.join().unwrap();
    }
}
