//! What mlrs reads from a git checkout, from the files under `.git` alone: no `git` process
//! (which may be missing or hang on a network filesystem).
//!
//! `checkout` finds the repository holding a directory and reads the commit, the branch and the
//! first remote's URL, the run's `mlflow.source.git.*` tags. Files are read the way Python's
//! `open(path, encoding="utf-8").read()` reads them (`\r\n` and `\r` as `\n`), and parsed with
//! Python's notions of whitespace (`str.strip`) and lines (`str.splitlines`), so the tags are
//! the ones mlrs recorded when it read `.git` in Python. A file that is missing or unreadable is
//! skipped; a file that is not UTF-8, or a `.git` file that can't be opened, fails the read (the
//! caller records no git tags then).
//!
//! `worktree_dirty` tells whether the working tree has changes to tracked files, from
//! `.git/index` and the files' metadata, within a time budget after which the answer is
//! "unknown". What "dirty" means here: a tracked file was modified or deleted, or the index has
//! unmerged entries. Untracked files do not count (as in `git describe --dirty`). Changes staged
//! with `git add` but not committed are not seen either: telling those apart would mean reading
//! the commit's tree out of the object database.
//!
//! A file whose size and modification time equal the index's record is taken as unchanged. When
//! they differ, the file's content is hashed as a git blob and compared with the recorded id, so a
//! file that was only touched is not reported. Files git converts on checkout (line endings, LFS)
//! hash differently from their blob; they count as modified only once their metadata changed.

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use crate::engine::error::{Error, Result};

/// The repository holding a directory, as the run's git tags describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The git directory: `.git`, or the directory a `.git` file names (`gitdir: ...`).
    pub git_dir: PathBuf,
    /// The commit HEAD names, directly or through a loose or packed ref; None when it names
    /// none that can be read.
    pub commit: Option<String>,
    /// The branch HEAD is on (`refs/heads/<branch>`); only with a commit.
    pub branch: Option<String>,
    /// The URL of the first remote in the config, credentials removed; only with a commit.
    pub repo_url: Option<String>,
}

/// The repository holding directory `dir` (its `.git` here or in a parent), with its commit,
/// branch and remote URL; `None` outside any repository (or when `dir` is not a directory).
pub fn checkout(dir: &Path) -> Result<Option<Checkout>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let Some(git_dir) = find_git_dir(dir)? else {
        return Ok(None);
    };
    let common_dir = match read_text(&git_dir.join("commondir"))? {
        Some(common) if !common.is_empty() => normalize(&git_dir.join(py_strip(&common))),
        _ => git_dir.clone(),
    };
    let head = read_text(&git_dir.join("HEAD"))?.unwrap_or_default();
    let head = py_strip(&head);
    let (commit, branch) = match head.strip_prefix("ref:") {
        Some(reference) => {
            let reference = py_strip(reference);
            let commit = resolve_ref(&common_dir, &git_dir, reference)?;
            let branch = reference.strip_prefix("refs/heads/").map(str::to_owned);
            (commit, branch)
        }
        None => (Some(head.to_owned()), None),
    };
    let Some(commit) = commit.filter(|c| !c.is_empty()) else {
        return Ok(Some(Checkout {
            git_dir,
            commit: None,
            branch: None,
            repo_url: None,
        }));
    };
    let repo_url = first_remote_url(&common_dir)?
        .filter(|url| !url.is_empty())
        .map(|url| strip_credentials(&url));
    Ok(Some(Checkout {
        git_dir,
        commit: Some(commit),
        branch: branch.filter(|b| !b.is_empty()),
        repo_url,
    }))
}

/// The checkout a git directory belongs to: its parent for a `.git` directory, the directory its
/// `gitdir` file names for a linked worktree's; `None` for any other (a submodule's, a bare one).
pub fn work_tree(git_dir: &Path) -> Result<Option<PathBuf>> {
    let linked = git_dir.join("gitdir");
    if linked.is_file() {
        let text = read_required(&linked)?;
        return Ok(Some(PathBuf::from(py_dirname(py_strip(&text)))));
    }
    if git_dir.file_name().is_some_and(|name| name == ".git") {
        return Ok(git_dir.parent().map(Path::to_path_buf));
    }
    Ok(None)
}

/// The git directory of the repository holding `start`: `.git` in it or its nearest parent that
/// has one, or the directory a `.git` file names (`gitdir: <path>`, relative to that file).
fn find_git_dir(start: &Path) -> Result<Option<PathBuf>> {
    let start = if start.is_absolute() {
        start.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|error| Error::Io {
                error,
                path: start.to_path_buf(),
            })?
            .join(start)
    };
    let mut dir = normalize(&start);
    loop {
        let candidate = dir.join(".git");
        if candidate.is_dir() {
            return Ok(Some(candidate));
        }
        if candidate.is_file() {
            let text = read_required(&candidate)?;
            let first = py_strip(text.split('\n').next().unwrap_or_default());
            return Ok(first
                .strip_prefix("gitdir:")
                .map(|target| normalize(&dir.join(py_strip(target)))));
        }
        if !dir.pop() {
            return Ok(None);
        }
    }
}

/// The commit a ref names: its loose file in the git directory or the common one, else its line
/// in `packed-refs`.
fn resolve_ref(common_dir: &Path, git_dir: &Path, reference: &str) -> Result<Option<String>> {
    for base in [git_dir, common_dir] {
        if let Some(loose) = read_text(&base.join(reference))?
            && !loose.is_empty()
        {
            return Ok(Some(py_strip(&loose).to_owned()));
        }
    }
    let packed = read_text(&common_dir.join("packed-refs"))?.unwrap_or_default();
    for line in py_lines(&packed) {
        if let Some((commit, name)) = line.split_once(' ')
            && py_strip(name) == reference
        {
            return Ok(Some(commit.to_owned()));
        }
    }
    Ok(None)
}

/// The `url` of the first `[remote "..."]` section of the config that has one.
fn first_remote_url(common_dir: &Path) -> Result<Option<String>> {
    let config = read_text(&common_dir.join("config"))?.unwrap_or_default();
    let mut in_remote = false;
    for raw in py_lines(&config) {
        let line = py_strip(raw);
        if line.starts_with('[') {
            in_remote = is_remote_section(line);
        } else if in_remote
            && let Some((key, value)) = line.split_once('=')
            && py_strip(key) == "url"
        {
            return Ok(Some(py_strip(value).to_owned()));
        }
    }
    Ok(None)
}

/// Whether a config line opens a remote's section: `[remote "<name>"]` (anything may follow).
fn is_remote_section(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("[remote") else {
        return false;
    };
    let name = rest.trim_start_matches(is_py_space);
    if name.len() == rest.len() {
        return false; // no whitespace after `remote`
    }
    let Some(name) = name.strip_prefix('"') else {
        return false;
    };
    name.find('"')
        .is_some_and(|end| name[end + 1..].starts_with(']'))
}

/// A URL without the `user:password@` after its scheme.
fn strip_credentials(url: &str) -> String {
    let scheme_len = url
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-')))
        .unwrap_or(url.len());
    let starts_with_letter = url.starts_with(|c: char| c.is_ascii_alphabetic());
    let Some(rest) = url[scheme_len..].strip_prefix("://") else {
        return url.to_owned();
    };
    match rest.find(['/', '@']) {
        Some(at) if starts_with_letter && rest[at..].starts_with('@') => {
            format!("{}{}", &url[..scheme_len + 3], &rest[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// A text file as Python's `open(path, encoding="utf-8").read()` gives it: `None` when it can't
/// be read, an error when it is not UTF-8.
fn read_text(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => decode(bytes, path).map(Some),
        Err(_) => Ok(None),
    }
}

/// A text file that must be read: an error when it can't be, or is not UTF-8.
fn read_required(path: &Path) -> Result<String> {
    let bytes = fs::read(path).map_err(|error| Error::Io {
        error,
        path: path.to_path_buf(),
    })?;
    decode(bytes, path)
}

/// UTF-8 text with Python's universal newlines: `\r\n` and `\r` read as `\n`.
fn decode(bytes: Vec<u8>, path: &Path) -> Result<String> {
    let text = String::from_utf8(bytes).map_err(|e| Error::Io {
        error: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        path: path.to_path_buf(),
    })?;
    Ok(if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    })
}

/// Python's `str.isspace` (Rust's `char::is_whitespace` and the four ASCII separators).
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// The lines of Python's `str.splitlines()` (newlines already read as `\n`); a text that ends
/// with a line break gives one more, empty, line, which no caller takes for anything.
fn py_lines(s: &str) -> impl Iterator<Item = &str> {
    s.split([
        '\n', '\u{b}', '\u{c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}', '\u{2029}',
    ])
}

/// Python's `os.path.dirname`.
fn py_dirname(path: &str) -> &str {
    let head = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let trimmed = head.trim_end_matches('/');
    if trimmed.is_empty() { head } else { trimmed }
}

/// Python's `os.path.normpath`: `.` and `..` resolved by the text alone, not the filesystem.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

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
    fn checkout_reads_commit_branch_and_first_remote() {
        let dir = repo("2");
        let root = dir.path();
        git(root, &["checkout", "-q", "-b", "feature/x"]);
        git(
            root,
            &[
                "remote",
                "add",
                "origin",
                "https://me:secret@example.com/t/p.git",
            ],
        );
        git(
            root,
            &["remote", "add", "backup", "git@example.com:t/b.git"],
        );
        let head = fs::read_to_string(root.join(".git/refs/heads/feature/x")).unwrap();
        let found = checkout(&root.join("src")).unwrap().unwrap();
        assert_eq!(found.git_dir, root.join(".git"));
        assert_eq!(found.commit.as_deref(), Some(head.trim()));
        assert_eq!(found.branch.as_deref(), Some("feature/x"));
        assert_eq!(
            found.repo_url.as_deref(),
            Some("https://example.com/t/p.git")
        );
        assert_eq!(work_tree(&found.git_dir).unwrap().as_deref(), Some(root));

        git(root, &["pack-refs", "--all"]);
        assert!(!root.join(".git/refs/heads/feature/x").exists());
        let packed = checkout(root).unwrap().unwrap();
        assert_eq!(packed.commit.as_deref(), Some(head.trim()));

        git(root, &["checkout", "-q", "--detach"]);
        let detached = checkout(root).unwrap().unwrap();
        assert_eq!(detached.commit.as_deref(), Some(head.trim()));
        assert_eq!(detached.branch, None);
    }

    #[test]
    fn a_linked_worktree_reads_its_own_head_and_the_common_config() {
        let dir = repo("2");
        let root = dir.path();
        git(root, &["remote", "add", "origin", "/srv/p.git"]);
        let linked = tempfile::tempdir().unwrap();
        let tree = linked.path().join("wt");
        git(
            root,
            &[
                "worktree",
                "add",
                "-q",
                "-b",
                "side",
                tree.to_str().unwrap(),
            ],
        );
        let found = checkout(&tree).unwrap().unwrap();
        assert_eq!(found.git_dir, root.join(".git/worktrees/wt"));
        assert_eq!(found.branch.as_deref(), Some("side"));
        assert_eq!(found.repo_url.as_deref(), Some("/srv/p.git"));
        assert!(found.commit.is_some());
        assert_eq!(work_tree(&found.git_dir).unwrap(), Some(tree));
    }

    #[test]
    fn no_repository_an_unborn_branch_and_a_foreign_git_file() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        fs::create_dir(&plain).unwrap();
        // Whatever holds the temporary directory is not a repository either.
        if checkout(dir.path()).unwrap().is_none() {
            assert_eq!(checkout(&plain).unwrap(), None);
        }
        assert_eq!(checkout(&plain.join("missing")).unwrap(), None);

        let fresh = dir.path().join("fresh");
        fs::create_dir(&fresh).unwrap();
        git(&fresh, &["init", "-q", "-b", "main"]);
        git(&fresh, &["remote", "add", "origin", "/srv/p.git"]);
        let unborn = checkout(&fresh).unwrap().unwrap();
        assert_eq!(
            (unborn.commit, unborn.branch, unborn.repo_url),
            (None, None, None),
            "tags only with a commit"
        );

        let other = dir.path().join("other");
        fs::create_dir(&other).unwrap();
        fs::write(other.join(".git"), "gitdir: ../fresh/.git\r\n").unwrap();
        let named = checkout(&other).unwrap().unwrap();
        assert_eq!(named.git_dir, dir.path().join("fresh/.git"));
        fs::write(other.join(".git"), "not a pointer\n").unwrap();
        assert_eq!(checkout(&other).unwrap(), None);
        fs::write(other.join(".git"), b"gitdir: \xff\n").unwrap();
        assert!(checkout(&other).is_err(), "not UTF-8");
    }

    #[test]
    fn config_and_urls_read_as_python_read_them() {
        let dir = tempfile::tempdir().unwrap();
        let config = "[core]\n\turl = no\n[remote\t\"a b\"] # c\r\n\tfetch = x\r\n\t url=  u1 \n\
                      [remote \"b\"]\n\turl = u2\n";
        fs::write(dir.path().join("config"), config).unwrap();
        assert_eq!(first_remote_url(dir.path()).unwrap().as_deref(), Some("u1"));
        assert!(!is_remote_section("[remote\"a\"]"));
        assert!(!is_remote_section("[remote \"a\""));
        assert!(!is_remote_section("[remotes \"a\"]"));
        for (url, stripped) in [
            ("https://u:p@h/x", "https://h/x"),
            ("ssh://git@h:22/x", "ssh://h:22/x"),
            ("https://h/x@y", "https://h/x@y"),
            ("git@h:x.git", "git@h:x.git"),
            ("1s://u@h", "1s://u@h"),
            ("a+b.c-d://@h", "a+b.c-d://h"),
        ] {
            assert_eq!(strip_credentials(url), stripped, "{url}");
        }
        assert_eq!(py_strip("\u{1c} x\u{a0}\n"), "x");
        assert_eq!(py_dirname("/a/b/"), "/a/b");
        assert_eq!(py_dirname("//a"), "//");
        assert_eq!(py_dirname("a"), "");
        assert_eq!(normalize(Path::new("/a/./b/../../../c")), Path::new("/c"));
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
