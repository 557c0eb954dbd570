//! Whether a git working tree has changes to tracked files, read from `.git/index` and the files'
//! metadata alone: no `git` process (which may be missing or hang on a network filesystem), and a
//! time budget after which the answer is "unknown".
//!
//! What "dirty" means here: a tracked file was modified or deleted, or the index has unmerged
//! entries. Untracked files do not count (as in `git describe --dirty`). Changes staged with
//! `git add` but not committed are not seen either: telling those apart would mean reading the
//! commit's tree out of the object database.
//!
//! A file whose size and modification time equal the index's record is taken as unchanged. When
//! they differ, the file's content is hashed as a git blob and compared with the recorded id, so a
//! file that was only touched is not reported. Files git converts on checkout (line endings, LFS)
//! hash differently from their blob; they count as modified only once their metadata changed.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

/// The index entry flags git uses (see gitformat-index(5)).
const FLAG_EXTENDED: u16 = 0x4000;
const FLAG_STAGE_MASK: u16 = 0x3000;
const FLAG_NAME_MASK: u16 = 0x0fff;
const EXT_FLAG_SKIP_WORKTREE: u16 = 0x4000;
const EXT_FLAG_INTENT_TO_ADD: u16 = 0x2000;
const MODE_TYPE_MASK: u32 = 0o170_000;
const MODE_SYMLINK: u32 = 0o120_000;
const MODE_GITLINK: u32 = 0o160_000;
const SHA1_LEN: usize = 20;
/// Bytes of an entry before its path (v2–v4): ten 32-bit stat fields, the object id and flags.
const ENTRY_FIXED: usize = 40 + SHA1_LEN + 2;

/// One tracked path as the index recorded it.
struct Entry<'a> {
    mtime: (u32, u32),
    mode: u32,
    size: u32,
    oid: &'a [u8],
    stage: u16,
    skip: bool,
    path: Vec<u8>,
}

/// `Some(true)` when a tracked file differs from the index, `Some(false)` when none does, `None`
/// when the index can't be read or understood, or checking took longer than `budget`.
#[must_use]
pub fn worktree_dirty(work_tree: &Path, git_dir: &Path, budget: Duration) -> Option<bool> {
    let deadline = Instant::now() + budget;
    let index_path = git_dir.join("index");
    let index_meta = fs::metadata(&index_path).ok()?;
    let index_mtime = mtime_of(&index_meta);
    let data = fs::read(&index_path).ok()?;
    let mut entries = Entries::new(&data)?;
    let mut buffer = Vec::new();
    while entries.left > 0 {
        let entry = entries.next_entry()?;
        if Instant::now() > deadline {
            return None;
        }
        if entry.stage != 0 {
            return Some(true); // an unresolved merge
        }
        if entry.skip || entry.mode & MODE_TYPE_MASK == MODE_GITLINK {
            continue;
        }
        if changed(work_tree, &entry, index_mtime, &mut buffer)? {
            return Some(true);
        }
    }
    Some(false)
}

#[cfg(unix)]
fn mtime_of(meta: &fs::Metadata) -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    // The index keeps 32-bit seconds and nanoseconds; compare in the same width.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (meta.mtime() as u32, meta.mtime_nsec() as u32)
}

#[cfg(not(unix))]
fn mtime_of(meta: &fs::Metadata) -> (u32, u32) {
    let since = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .unwrap_or_default();
    #[allow(clippy::cast_possible_truncation)]
    (since.as_secs() as u32, since.subsec_nanos())
}

/// Whether one tracked path differs from its entry. `None` only when the path can't be built.
fn changed(
    work_tree: &Path,
    entry: &Entry<'_>,
    index_mtime: (u32, u32),
    buffer: &mut Vec<u8>,
) -> Option<bool> {
    let relative = std::str::from_utf8(&entry.path).ok()?;
    let path = work_tree.join(relative);
    let Ok(meta) = fs::symlink_metadata(&path) else {
        return Some(true); // deleted
    };
    let is_link = entry.mode & MODE_TYPE_MASK == MODE_SYMLINK;
    if is_link != meta.file_type().is_symlink() || !(is_link || meta.is_file()) {
        return Some(true); // a file became a directory, a link became a file, ...
    }
    // git keeps the low 32 bits of the size.
    #[allow(clippy::cast_possible_truncation)]
    let size = meta.len() as u32;
    let mtime = mtime_of(&meta);
    // "Racily clean": a file written in the same second the index was, after git recorded it,
    // can have the recorded metadata and new content. Such entries are hashed too.
    let racy = mtime >= index_mtime;
    if size == entry.size && mtime == entry.mtime && !racy {
        return Some(false);
    }
    buffer.clear();
    if is_link {
        let target = fs::read_link(&path).ok()?;
        buffer.extend_from_slice(target.as_os_str().as_encoded_bytes());
    } else if fs::File::open(&path)
        .and_then(|mut f| f.read_to_end(buffer))
        .is_err()
    {
        return Some(true);
    }
    Some(blob_id(buffer) != entry.oid)
}

/// The git object id of a blob with these bytes: SHA-1 of `blob <len>\0<bytes>`.
fn blob_id(content: &[u8]) -> [u8; SHA1_LEN] {
    let mut hasher = sha1_smol::Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    hasher.digest().bytes()
}

/// A reader over the entries of an index file, versions 2 to 4.
struct Entries<'a> {
    data: &'a [u8],
    pos: usize,
    left: u32,
    version: u32,
    previous: Vec<u8>,
}

impl<'a> Entries<'a> {
    fn new(data: &'a [u8]) -> Option<Self> {
        if data.len() < 12 || &data[..4] != b"DIRC" {
            return None;
        }
        let version = be32(data, 4)?;
        if !(2..=4).contains(&version) {
            return None;
        }
        Some(Self {
            data,
            pos: 12,
            left: be32(data, 8)?,
            version,
            previous: Vec::new(),
        })
    }

    /// The next entry (while `left > 0`), or `None` when the index is malformed.
    fn next_entry(&mut self) -> Option<Entry<'a>> {
        self.left = self.left.checked_sub(1)?;
        let start = self.pos;
        let data = self.data;
        let fixed = data.get(start..start + ENTRY_FIXED)?;
        let flags = u16::from_be_bytes([fixed[ENTRY_FIXED - 2], fixed[ENTRY_FIXED - 1]]);
        let mut pos = start + ENTRY_FIXED;
        let mut skip = false;
        if flags & FLAG_EXTENDED != 0 {
            let extended = u16::from_be_bytes([*data.get(pos)?, *data.get(pos + 1)?]);
            skip = extended & (EXT_FLAG_SKIP_WORKTREE | EXT_FLAG_INTENT_TO_ADD) != 0;
            pos += 2;
        }
        let path = if self.version == 4 {
            let (strip, used) = varint(data.get(pos..)?)?;
            pos += used;
            let end = pos + data.get(pos..)?.iter().position(|&b| b == 0)?;
            let keep = self.previous.len().checked_sub(strip)?;
            let mut path = self.previous[..keep].to_vec();
            path.extend_from_slice(&data[pos..end]);
            self.pos = end + 1;
            self.previous.clone_from(&path);
            path
        } else {
            let name_len = usize::from(flags & FLAG_NAME_MASK);
            // A name of 0xfff or more bytes is stored in full and NUL-terminated.
            let end = if name_len < usize::from(FLAG_NAME_MASK) {
                pos + name_len
            } else {
                pos + data.get(pos..)?.iter().position(|&b| b == 0)?
            };
            let path = data.get(pos..end)?.to_vec();
            // Entries are NUL-padded to a multiple of 8 bytes, with at least one NUL.
            let length = end - start;
            self.pos = start + (length + 8) / 8 * 8;
            path
        };
        Some(Entry {
            mtime: (be32(fixed, 8)?, be32(fixed, 12)?),
            mode: be32(fixed, 24)?,
            size: be32(fixed, 36)?,
            oid: &fixed[40..40 + SHA1_LEN],
            stage: (flags & FLAG_STAGE_MASK) >> 12,
            skip,
            path,
        })
    }
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// git's offset varint (index v4 path prefixes): 7 bits per byte, each continuation adds one.
fn varint(data: &[u8]) -> Option<(usize, usize)> {
    let mut bytes = data.iter();
    let mut byte = *bytes.next()?;
    let mut value = usize::from(byte & 0x7f);
    let mut used = 1;
    while byte & 0x80 != 0 {
        byte = *bytes.next()?;
        used += 1;
        value = value.checked_add(1)?.checked_mul(128)? | usize::from(byte & 0x7f);
    }
    Some((value, used))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    const BUDGET: Duration = Duration::from_secs(10);

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "core.autocrlf=false",
            ])
            .args(args)
            .current_dir(dir)
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    }

    /// A repository with two committed files, one in a subdirectory, at index `version`.
    fn repo(version: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        fs::write(root.join("a.txt"), "alpha\n").unwrap();
        fs::create_dir(root.join("src")).unwrap();
        fs::write(root.join("src/b.py"), "print('b')\n").unwrap();
        git(root, &["add", "."]);
        git(root, &["commit", "-q", "-m", "init"]);
        git(root, &["update-index", "--index-version", version]);
        // Date the files an hour back, as in any checkout older than a second, so that their
        // entries are not "racily clean".
        let past = std::time::SystemTime::now() - Duration::from_hours(1);
        for file in ["a.txt", "src/b.py"] {
            let f = fs::File::options()
                .write(true)
                .open(root.join(file))
                .unwrap();
            f.set_modified(past).unwrap();
        }
        git(root, &["update-index", "--really-refresh"]);
        dir
    }

    fn dirty(dir: &tempfile::TempDir) -> Option<bool> {
        worktree_dirty(dir.path(), &dir.path().join(".git"), BUDGET)
    }

    #[test]
    fn clean_then_modified_for_every_index_version() {
        for version in ["2", "3", "4"] {
            let dir = repo(version);
            assert_eq!(dirty(&dir), Some(false), "v{version} clean");
            fs::write(dir.path().join("src/b.py"), "print('changed')\n").unwrap();
            assert_eq!(dirty(&dir), Some(true), "v{version} modified");
        }
    }

    #[test]
    fn deleted_file_is_dirty_untracked_file_is_not() {
        let dir = repo("2");
        fs::write(dir.path().join("new.txt"), "untracked").unwrap();
        assert_eq!(dirty(&dir), Some(false));
        fs::remove_file(dir.path().join("a.txt")).unwrap();
        assert_eq!(dirty(&dir), Some(true));
    }

    #[test]
    fn touched_but_equal_file_is_clean() {
        let dir = repo("2");
        let path = dir.path().join("a.txt");
        let content = fs::read(&path).unwrap();
        fs::write(&path, content).unwrap(); // new mtime, same bytes
        assert_eq!(dirty(&dir), Some(false));
    }

    #[test]
    fn same_size_change_is_seen() {
        let dir = repo("2");
        fs::write(dir.path().join("a.txt"), "ALPHA\n").unwrap();
        assert_eq!(dirty(&dir), Some(true));
    }

    #[test]
    fn unreadable_or_foreign_index_is_unknown() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(worktree_dirty(dir.path(), dir.path(), BUDGET), None);
        fs::write(dir.path().join("index"), b"DIRC\0\0\0\x09\0\0\0\0").unwrap();
        assert_eq!(worktree_dirty(dir.path(), dir.path(), BUDGET), None);
        fs::write(dir.path().join("index"), b"DIRC\0\0\0\x02\0\0\0\x05short").unwrap();
        assert_eq!(worktree_dirty(dir.path(), dir.path(), BUDGET), None);
    }

    #[test]
    fn zero_budget_gives_unknown() {
        let dir = repo("2");
        let got = worktree_dirty(dir.path(), &dir.path().join(".git"), Duration::ZERO);
        assert_eq!(got, None);
    }

    #[test]
    fn blob_ids_match_git() {
        // `printf 'alpha\n' | git hash-object --stdin`
        let id = blob_id(b"alpha\n");
        let hex = "4a58007052a65fbc2fc3f910f2855f45a4058e74";
        let want: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(id.to_vec(), want);
    }

    #[test]
    fn varints_decode_like_git() {
        assert_eq!(varint(&[0x05]), Some((5, 1)));
        assert_eq!(varint(&[0x80, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0x81, 0x01]), Some((257, 2)));
        assert_eq!(varint(&[0x80]), None);
    }
}
