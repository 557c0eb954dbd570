//! Checkpoints the WAL on a thread of its own, off the writer's commits.
//!
//! SQLite's default copies the WAL's pages into the database file from inside the commit that
//! takes the WAL past 1,000 pages: that commit writes every page a second time and, in a
//! durable store, waits for two fsyncs. In mlrs that commit is the writer's, and whoever waits
//! on it (an `end_run`, a `flush`, a read) waits for the checkpoint too; on a busy disk that was
//! most of a sweep run's time. Here the writer's commit only wakes the `mlrs-checkpoint` thread,
//! which runs a passive checkpoint with a connection of its own: it never blocks the writer or a
//! reader, and pages a reader still needs wait for the next round.
//!
//! Should the thread fall behind (a slow disk, a reader holding old pages), the writer
//! checkpoints inline again, as SQLite would, once the WAL holds [`INLINE_PAGES`]: the file's
//! growth stays bounded whatever happens to the thread. A checkpoint that fails loses nothing
//! (the pages stay in the WAL, where every reader finds them) and is tried again at the next
//! wake-up; SQLite's own automatic checkpoint ignores such failures the same way.

use std::ffi::c_int;
use std::path::Path;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use rusqlite::Connection;
use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;

use crate::engine::error::{Error, Result};
use crate::engine::store::{gate, pragmas};

/// WAL pages at which a commit wakes the thread: SQLite's own automatic checkpoint threshold.
const PAGES: c_int = 1000;
/// WAL pages at which the writer checkpoints inline, the thread being behind.
const INLINE_PAGES: c_int = 4 * PAGES;

enum Wake {
    Checkpoint,
    Stop,
}

/// The checkpoint thread of one store. Dropping it stops the thread and waits for it.
pub struct Checkpointer {
    wake: Sender<Wake>,
    /// Returns how many checkpoints it ran.
    thread: Option<JoinHandle<u64>>,
}

impl Checkpointer {
    /// Starts the thread, with a connection of its own to `path`, and hooks `writer`'s
    /// commits to it (which turns SQLite's automatic checkpoint off for `writer`).
    pub fn start(writer: &mut Connection, path: &Path, durable: bool) -> Result<Self> {
        let conn = gate::GatedConnection::new(pragmas::open_checkpointer(path, durable)?);
        // One pending wake-up is enough: the thread checkpoints all that is in the WAL.
        let (wake, woken) = crossbeam_channel::bounded(1);
        let thread = std::thread::Builder::new()
            .name("mlrs-checkpoint".to_owned())
            .spawn(move || run(&conn, &woken))
            .map_err(|e| Error::internal(format!("cannot start the checkpoint thread: {e}")))?;
        let hook_wake = wake.clone();
        writer.wal_hook(Some(move |wal: &mut Wal, pages: c_int| {
            if pages >= INLINE_PAGES {
                // Whatever the outcome, this commit has happened; failing here would tell the
                // writer otherwise and make it apply the batch a second time.
                let _ = wal.checkpoint_v2(CheckpointMode::PASSIVE);
            } else if pages >= PAGES {
                // Full: a wake-up is pending already. Disconnected: the store is closing.
                let _ = hook_wake.try_send(Wake::Checkpoint);
            }
            Ok(())
        }))?;
        Ok(Self {
            wake,
            thread: Some(thread),
        })
    }
}

fn run(conn: &Connection, woken: &Receiver<Wake>) -> u64 {
    let mut rounds = 0;
    while let Ok(Wake::Checkpoint) = woken.recv() {
        let _inside = gate::enter();
        // Busy means another connection (another process) is checkpointing this file now.
        let _ = conn.wal_checkpoint_v2(None::<&str>, CheckpointMode::PASSIVE);
        rounds += 1;
    }
    rounds
}

impl Checkpointer {
    /// Stops the thread after the wake-up that may be pending; how many checkpoints it ran.
    fn stop(&mut self) -> u64 {
        // Waits while a checkpoint runs and the one pending wake-up is queued: both end soon.
        let _ = self.wake.send(Wake::Stop);
        self.thread
            .take()
            .map_or(0, |thread| thread.join().unwrap_or(0))
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rusqlite::Connection;

    use super::Checkpointer;
    use crate::engine::store::pragmas;

    /// A new WAL file with a writer connection hooked to a checkpoint thread.
    fn start(path: &Path) -> (Connection, Checkpointer) {
        let mut writer = pragmas::open_writer(path, true).unwrap();
        pragmas::enable_wal(&writer, true).unwrap();
        writer
            .execute_batch("CREATE TABLE filler (x BLOB)")
            .unwrap();
        let checkpointer = Checkpointer::start(&mut writer, path, true).unwrap();
        (writer, checkpointer)
    }

    /// One commit that adds `pages` pages to the WAL: rows of 3,000 bytes, one a page.
    fn commit_pages(writer: &Connection, pages: usize) {
        writer
            .execute_batch(&format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {pages}) \
                 INSERT INTO filler SELECT randomblob(3000) FROM n;"
            ))
            .unwrap();
    }

    fn file_pages(path: &Path) -> u64 {
        std::fs::metadata(path).unwrap().len() / 4096
    }

    /// A connection that has read the file: while it is open, no other connection's close is
    /// the file's last, which would checkpoint it.
    fn hold_open(path: &Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.query_row("SELECT count(*) FROM filler", [], |row| {
            row.get::<_, i64>(0)
        })
        .unwrap();
        conn
    }

    #[test]
    fn the_commit_that_passes_a_thousand_pages_wakes_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let (writer, mut checkpointer) = start(&path);
        let _other = hold_open(&path);
        let before = file_pages(&path);
        commit_pages(&writer, 600);
        commit_pages(&writer, 600);
        assert_eq!(
            checkpointer.stop(),
            1,
            "only the second commit passed 1,000 pages"
        );
        assert!(
            file_pages(&path) >= before + 1200,
            "the thread moved both into the file"
        );
    }

    #[test]
    fn past_four_thousand_pages_the_writer_checkpoints_inline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let (writer, mut checkpointer) = start(&path);
        let _other = hold_open(&path);
        let before = file_pages(&path);
        commit_pages(&writer, 4500);
        assert!(
            file_pages(&path) >= before + 4500,
            "checkpointed within the commit"
        );
        assert_eq!(checkpointer.stop(), 0, "the thread was not woken");
    }
}
