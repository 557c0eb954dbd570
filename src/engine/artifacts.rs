//! Run artifacts: files under a run's artifact root, laid out as MLflow 3.18 lays them out.
//!
//! Every write lands under the root: relative paths are checked with MLflow's rule
//! (`Invalid artifact path: ...`), and the real location of a destination (its existing ancestors
//! with symlinks resolved) must stay inside the real root. That check gives the refusal its
//! message; the writes themselves go through directory handles that the kernel resolves beneath
//! the root (`openat2` with `RESOLVE_BENEATH`, files created with `O_NOFOLLOW`, renamed with
//! `renameat`), so a symlink swapped in between the check and the write cannot redirect it.
//! Only regular files and directories are copied: a FIFO, socket or device is refused (reading
//! a FIFO would block forever). Files are written to a hidden
//! `.artifact.uploading.*` name in the destination directory and renamed into place, so a reader
//! never sees half a file; MLflow's listing hides that prefix too.
//!
//! Symlinks inside a *logged* directory are followed: a file link's target bytes are copied and a
//! directory link's contents are copied, as regular files under the destination (mlrs never
//! creates a symlink under a root, so nothing can be written through one later). A directory link
//! that loops back to a directory being copied becomes an empty directory. When a tree is
//! *downloaded* out of a run's root, a symlink in it that leads outside the root is refused.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use crate::engine::error::Error;
use crate::engine::validate::{normpath, py_repr};

/// MLflow's prefix for files being written; listings skip it and artifact names may not use it.
pub const STAGING_PREFIX: &str = ".artifact.uploading.";

/// Artifact work fails with the engine's one error type: MLflow's refusals, or `Error::Io`
/// (a file operation, with its path).
pub type Result<T> = std::result::Result<T, Error>;

fn at(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |error| Error::Io {
        error,
        path: path.to_owned(),
    }
}

fn io_kind(kind: io::ErrorKind, path: &Path) -> Error {
    Error::Io {
        error: kind.into(),
        path: path.to_owned(),
    }
}

fn outside() -> Error {
    Error::invalid("Invalid path: resolved path is outside the artifact directory")
}

fn download_failed(path: &str) -> Error {
    Error::not_found(format!(
        "Failed to download artifacts from path {}, please ensure that the path is correct.",
        py_repr(path)
    ))
}

// ---- paths -----------------------------------------------------------------------------------

/// MLflow's check on a run-relative artifact directory: it must already be normal (no `.`/`..`
/// parts, no doubled or trailing slash), relative, and not start with `..`.
pub fn check_artifact_path(path: &str) -> Result<()> {
    if path.is_empty() {
        return Ok(());
    }
    let norm = normpath(path);
    if norm != path || norm == "." || norm.starts_with("..") || norm.starts_with('/') {
        return Err(Error::internal(format!(
            "Invalid artifact path: '{path}'. Names may be treated as files in certain cases, and \
             must not resolve to other names when treated as such. This name would resolve to {}",
            py_repr(&norm)
        )));
    }
    Ok(())
}

/// Splits a run-relative `artifact_file` (`"dir/file.txt"`, `"d/../f"` normalised first) into its
/// checked directory and its file name.
pub fn split_artifact_file(artifact_file: &str) -> Result<(String, String)> {
    let norm = normpath(artifact_file);
    let (dir, name) = match norm.rfind('/') {
        Some(index) => {
            let dir = norm[..index].trim_end_matches('/');
            let dir = if dir.is_empty() { &norm[..=index] } else { dir };
            (dir.to_owned(), norm[index + 1..].to_owned())
        }
        None => (String::new(), norm.clone()),
    };
    check_artifact_path(&dir)?;
    check_file_name(&name, artifact_file)?;
    Ok((dir, name))
}

fn check_file_name(name: &str, shown: &str) -> Result<()> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(io_kind(io::ErrorKind::IsADirectory, Path::new(shown)));
    }
    if name.starts_with(STAGING_PREFIX) {
        return Err(Error::invalid(format!(
            "Invalid artifact file name: '{shown}'. Artifact names starting with \
             '{STAGING_PREFIX}' are reserved."
        )));
    }
    Ok(())
}

/// Where `path` really is: its longest existing ancestor with every symlink resolved, followed by
/// the components that do not exist yet. None for a dangling symlink on the way.
fn real_location(path: &Path) -> Result<Option<PathBuf>> {
    let mut missing: Vec<&OsStr> = Vec::new();
    let mut current = path;
    loop {
        match fs::canonicalize(current) {
            Ok(mut real) => {
                real.extend(missing.iter().rev());
                return Ok(Some(real));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if fs::symlink_metadata(current).is_ok() {
                    return Ok(None); // a symlink to nowhere: where it leads is not known
                }
                match (current.parent(), current.file_name()) {
                    (Some(parent), Some(name)) => {
                        missing.push(name);
                        current = if parent.as_os_str().is_empty() {
                            Path::new(".")
                        } else {
                            parent
                        };
                    }
                    _ => {
                        return Err(Error::Io {
                            error: e,
                            path: path.to_owned(),
                        });
                    }
                }
            }
            Err(e) => {
                return Err(Error::Io {
                    error: e,
                    path: path.to_owned(),
                });
            }
        }
    }
}

/// Refuses `target` when its real location is not inside the real location of `root`.
fn confine(root: &Path, target: &Path) -> Result<()> {
    let Some(real_root) = real_location(root)? else {
        return Err(outside());
    };
    match real_location(target)? {
        Some(real) if real.starts_with(&real_root) => Ok(()),
        _ => Err(outside()),
    }
}

/// `root/rel` for a normalised relative `rel` (`""` or `"."` is the root itself), checked to stay
/// inside `root`.
fn under(root: &Path, rel: &str) -> Result<PathBuf> {
    if rel == ".." || rel.starts_with("../") || rel.starts_with('/') {
        return Err(outside());
    }
    let target = if rel.is_empty() || rel == "." {
        root.to_owned()
    } else {
        root.join(rel)
    };
    confine(root, &target)?;
    Ok(target)
}

/// A directory under a run's root, held open: writes in it are made relative to the handle.
struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

fn errno_at(path: &Path) -> impl FnOnce(Errno) -> Error + '_ {
    move |errno| Error::Io {
        error: errno.into(),
        path: path.to_owned(),
    }
}

/// Opens the directory `rel` beneath `root` (a handle): the kernel resolves every
/// component and refuses to leave the root, whatever symlinks appear meanwhile.
fn open_beneath(root: &OwnedFd, rel: &Path) -> rustix::io::Result<OwnedFd> {
    let flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC;
    match rustix::fs::openat2(
        root,
        rel,
        flags,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
    ) {
        // Kernels before 5.6: no symlink is followed at all instead.
        Err(Errno::NOSYS) => rustix::fs::openat(root, rel, flags | OFlags::NOFOLLOW, Mode::empty()),
        other => other,
    }
}

/// Creates the checked directory `root/rel` (and the root) when missing, and opens it through
/// handles that stay beneath the root.
fn make_dir(root: &Path, rel: impl AsRef<Path>) -> Result<Dir> {
    let rel = rel.as_ref();
    let path = if rel.as_os_str().is_empty() {
        root.to_owned()
    } else {
        root.join(rel)
    };
    confine(root, &path)?;
    fs::create_dir_all(root).map_err(at(root))?;
    let root_fd = rustix::fs::open(
        root,
        OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno_at(root))?;
    let mut prefix = PathBuf::new();
    let mut dir = rustix::io::dup(&root_fd).map_err(errno_at(root))?;
    for part in rel.components() {
        let part = match part {
            std::path::Component::Normal(part) => part,
            std::path::Component::CurDir => continue,
            _ => return Err(outside()),
        };
        prefix.push(part);
        let opened = match open_beneath(&root_fd, &prefix) {
            Err(Errno::NOENT) => {
                match rustix::fs::mkdirat(&dir, part, Mode::from_raw_mode(0o777)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(errno_at(&root.join(&prefix))(e)),
                }
                open_beneath(&root_fd, &prefix)
            }
            other => other,
        };
        dir = opened.map_err(|e| match e {
            Errno::XDEV | Errno::LOOP | Errno::NOTDIR => outside(),
            e => errno_at(&root.join(&prefix))(e),
        })?;
    }
    Ok(Dir { fd: dir, path })
}

fn staging_name() -> String {
    format!("{STAGING_PREFIX}{}", uuid::Uuid::new_v4().simple())
}

/// Writes `dir/name` through a staging file in `dir` that `fill` writes and that is then renamed
/// over the destination (atomic; a symlink already at the destination is replaced, not followed).
/// Both are made relative to the directory's handle.
fn write_via_staging(
    dir: &Dir,
    name: &OsStr,
    fill: impl FnOnce(&mut File) -> Result<()>,
) -> Result<PathBuf> {
    let staging = staging_name();
    let staged = dir.path.join(&staging);
    let dest = dir.path.join(name);
    let fd = rustix::fs::openat(
        &dir.fd,
        staging.as_str(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666),
    )
    .map_err(errno_at(&staged))?;
    let mut output = File::from(fd);
    let filled = fill(&mut output);
    drop(output);
    let result = filled.and_then(|()| {
        rustix::fs::renameat(&dir.fd, staging.as_str(), &dir.fd, name).map_err(errno_at(&dest))
    });
    if result.is_err() {
        let _ = rustix::fs::unlinkat(&dir.fd, staging.as_str(), AtFlags::empty());
    }
    result.map(|()| dest)
}

/// Refuses what is neither a regular file nor a directory (a FIFO, a socket, a device).
fn check_loggable(meta: &fs::Metadata, path: &Path) -> Result<()> {
    if meta.is_file() || meta.is_dir() {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "Cannot log {}: it is not a regular file or a directory (a FIFO, socket or device \
         file has no contents to copy).",
        py_repr(&path.to_string_lossy())
    )))
}

/// Opens a file to copy from. Opened non-blocking and checked after opening, so a FIFO that
/// took the file's place is refused instead of blocking forever.
fn open_source(source: &Path) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let input = fs::OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(source)
        .map_err(at(source))?;
    check_loggable(&input.metadata().map_err(at(source))?, source)?;
    if input.metadata().map_err(at(source))?.is_dir() {
        return Err(io_kind(io::ErrorKind::IsADirectory, source));
    }
    let fd = OwnedFd::from(input);
    let flags = rustix::fs::fcntl_getfl(&fd).map_err(errno_at(source))?;
    rustix::fs::fcntl_setfl(&fd, flags - OFlags::NONBLOCK).map_err(errno_at(source))?;
    Ok(File::from(fd))
}

fn copy_contents(source: &Path, file: &mut File, keep_stat: bool) -> Result<()> {
    let mut input = open_source(source)?;
    // File to file: the kernel copies (copy_file_range/sendfile); nothing passes through Python.
    io::copy(&mut input, file).map_err(at(source))?;
    if keep_stat {
        let meta = input.metadata().map_err(at(source))?;
        file.set_permissions(meta.permissions())
            .map_err(at(source))?;
        if let Ok(modified) = meta.modified() {
            file.set_modified(modified).map_err(at(source))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    false
}

/// `basename(normpath(path))` of a local path, as MLflow names a logged directory.
fn local_base_name(local: &Path) -> String {
    let norm = normpath(&local.to_string_lossy());
    norm.rsplit('/').next().unwrap_or_default().to_owned()
}

fn join_rel(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

// ---- writes ----------------------------------------------------------------------------------

/// `log_artifact`: copies the local file `local` to `root/artifact_path/<its name>`, or a local
/// directory to `root/artifact_path/<its name>/...`. Returns the destination.
pub fn log_file(root: &Path, local: &Path, artifact_path: Option<&str>) -> Result<PathBuf> {
    let artifact_path = artifact_path.unwrap_or("");
    let meta = fs::metadata(local).map_err(at(local))?;
    check_loggable(&meta, local)?;
    if meta.is_dir() {
        let nested = join_rel(artifact_path, &local_base_name(local));
        log_dir(root, local, Some(&nested))?;
        return Ok(root.join(nested));
    }
    check_artifact_path(artifact_path)?;
    let name = local
        .file_name()
        .ok_or_else(|| io_kind(io::ErrorKind::IsADirectory, local))?;
    check_file_name(&name.to_string_lossy(), &local.to_string_lossy())?;
    let dir = make_dir(root, artifact_path)?;
    let dest = dir.path.join(name);
    confine(root, &dest)?;
    if fs::metadata(&dest).is_ok_and(|existing| same_file(&existing, &meta)) {
        return Ok(dest); // the file is already the artifact
    }
    write_via_staging(&dir, name, |file| copy_contents(local, file, true))
}

/// `log_artifacts`: copies the contents of the local directory `local_dir` under
/// `root/artifact_path`.
pub fn log_dir(root: &Path, local_dir: &Path, artifact_path: Option<&str>) -> Result<()> {
    let artifact_path = artifact_path.unwrap_or("");
    let meta = fs::metadata(local_dir).map_err(at(local_dir))?;
    if !meta.is_dir() {
        return Err(io_kind(io::ErrorKind::NotADirectory, local_dir));
    }
    check_artifact_path(artifact_path)?;
    make_dir(root, artifact_path)?;
    copy_tree(local_dir, root, Path::new(artifact_path), None)
}

/// `log_text`/`log_dict`: writes `data` to `root/artifact_file`.
pub fn write_file(root: &Path, artifact_file: &str, data: &[u8]) -> Result<PathBuf> {
    let (dir, name) = split_artifact_file(artifact_file)?;
    let dir = make_dir(root, &dir)?;
    let dest = dir.path.join(&name);
    confine(root, &dest)?;
    write_via_staging(&dir, OsStr::new(&name), |file| {
        io::Write::write_all(file, data).map_err(at(&dest))
    })
}

/// Prepares `root/artifact_file` for a writer that needs a path (a figure, an image, a table):
/// returns `(staged, dest)`, where `staged` has the destination's file name (so writers that
/// pick a format by extension pick the right one) inside a fresh private staging directory
/// (mode 0700, in the system's temporary directory: nothing under the root is written by path).
/// `publish` moves it into place through the destination directory's handle, `discard` drops it.
pub fn stage(root: &Path, artifact_file: &str) -> Result<(PathBuf, PathBuf)> {
    use std::os::unix::fs::DirBuilderExt;
    let (dir, name) = split_artifact_file(artifact_file)?;
    let dest = make_dir(root, &dir)?.path.join(&name);
    confine(root, &dest)?;
    let staging = std::env::temp_dir().join(staging_name());
    fs::DirBuilder::new()
        .mode(0o700)
        .create(&staging)
        .map_err(at(&staging))?;
    Ok((staging.join(&name), dest))
}

fn staging_dir(staged: &Path) -> Result<&Path> {
    match staged.parent() {
        Some(dir)
            if dir
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(STAGING_PREFIX)) =>
        {
            Ok(dir)
        }
        _ => Err(Error::invalid(format!(
            "not a staged artifact: {}",
            staged.display()
        ))),
    }
}

/// Moves a staged file (see `stage`) to `root/artifact_file` and removes its staging directory.
pub fn publish(staged: &Path, root: &Path, artifact_file: &str) -> Result<()> {
    let staging = staging_dir(staged)?;
    let moved = (|| {
        let meta = fs::symlink_metadata(staged).map_err(at(staged))?;
        if !meta.is_file() {
            check_loggable(&meta, staged)?;
            return Err(io_kind(io::ErrorKind::IsADirectory, staged));
        }
        let (dir, name) = split_artifact_file(artifact_file)?;
        let dir = make_dir(root, &dir)?;
        confine(root, &dir.path.join(&name))?;
        match rustix::fs::renameat(rustix::fs::CWD, staged, &dir.fd, name.as_str()) {
            Ok(()) => Ok(()),
            // Another file system: copied through a staging file beside the destination.
            Err(Errno::XDEV) => write_via_staging(&dir, OsStr::new(&name), |file| {
                copy_contents(staged, file, true)
            })
            .map(drop),
            Err(e) => Err(errno_at(&dir.path.join(&name))(e)),
        }
    })();
    let _ = fs::remove_dir_all(staging);
    moved
}

/// Drops a staged file and its staging directory.
pub fn discard(staged: &Path) -> Result<()> {
    let dir = staging_dir(staged)?;
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(at(dir)(e)),
        _ => Ok(()),
    }
}

// ---- tree copy -------------------------------------------------------------------------------

enum Node {
    Dir(PathBuf),
    File { source: PathBuf, rel: PathBuf },
}

/// Lists `dir` recursively (following symlinks) as destination-relative nodes, parents first.
/// `skip` is the real destination directory, never copied into itself; `limit`, when given, is a
/// real directory that every followed symlink must stay inside.
fn walk(
    dir: &Path,
    rel: &Path,
    chain: &mut Vec<PathBuf>,
    skip: &Path,
    limit: Option<&Path>,
    out: &mut Vec<Node>,
) -> Result<()> {
    let mut entries: Vec<(OsString, PathBuf)> = fs::read_dir(dir)
        .map_err(at(dir))?
        .map(|entry| entry.map(|e| (e.file_name(), e.path())))
        .collect::<io::Result<_>>()
        .map_err(at(dir))?;
    entries.sort();
    for (name, source) in entries {
        if name.to_string_lossy().starts_with(STAGING_PREFIX) {
            continue; // half-written files of another writer: never listed, never copied
        }
        let child_rel = rel.join(&name);
        let link = fs::symlink_metadata(&source).map_err(at(&source))?;
        let meta = fs::metadata(&source).map_err(at(&source))?; // a dangling link fails here
        check_loggable(&meta, &source)?;
        if let (true, Some(limit)) = (link.file_type().is_symlink(), limit) {
            let target = fs::canonicalize(&source).map_err(at(&source))?;
            if !target.starts_with(limit) {
                return Err(outside());
            }
        }
        if meta.is_dir() {
            let real_dir = fs::canonicalize(&source).map_err(at(&source))?;
            if real_dir == skip {
                continue;
            }
            out.push(Node::Dir(child_rel.clone()));
            if !chain.contains(&real_dir) {
                chain.push(real_dir);
                walk(&source, &child_rel, chain, skip, limit, out)?;
                chain.pop();
            }
        } else {
            out.push(Node::File {
                source,
                rel: child_rel,
            });
        }
    }
    Ok(())
}

/// Copies the contents of `source_dir` into `root/base` (which exists).
fn copy_tree(source_dir: &Path, root: &Path, base: &Path, limit: Option<&Path>) -> Result<()> {
    let dest_dir = root.join(base);
    let real_source = fs::canonicalize(source_dir).map_err(at(source_dir))?;
    let real_dest = fs::canonicalize(&dest_dir).map_err(at(&dest_dir))?;
    let mut nodes = Vec::new();
    walk(
        source_dir,
        Path::new(""),
        &mut vec![real_source],
        &real_dest,
        limit,
        &mut nodes,
    )?;
    for node in nodes {
        match node {
            Node::Dir(rel) => {
                make_dir(root, base.join(rel))?;
            }
            Node::File { source, rel } => {
                let rel = base.join(rel);
                let dir = make_dir(root, rel.parent().unwrap_or(Path::new("")))?;
                let name = rel.file_name().unwrap_or_default();
                confine(root, &dir.path.join(name))?;
                write_via_staging(&dir, name, |file| copy_contents(&source, file, false))?;
            }
        }
    }
    Ok(())
}

// ---- reads -----------------------------------------------------------------------------------

/// One listing entry: run-relative path, whether it is a directory, size in bytes for files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: OsString,
    pub is_dir: bool,
    pub size: Option<u64>,
}

/// `list_artifacts`: the entries directly under `root/path`, sorted by path; `[]` when that is
/// not a directory. Staging files are left out.
pub fn list(root: &Path, path: Option<&str>) -> Result<Vec<Entry>> {
    let rel = match path {
        None | Some("") => String::new(),
        Some(p) => normpath(p),
    };
    let rel = if rel == "." { String::new() } else { rel };
    if rel.contains('\0') {
        return Ok(Vec::new()); // no file's name holds a NUL: nothing is listed there
    }
    let dir = under(root, &rel)?;
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut entries = Vec::new();
    for entry in fs::read_dir(&dir).map_err(at(&dir))? {
        let entry = entry.map_err(at(&dir))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(STAGING_PREFIX) {
            continue;
        }
        let full = entry.path();
        let meta = match fs::metadata(&full) {
            Ok(meta) => meta,
            Err(_) => fs::symlink_metadata(&full).map_err(at(&full))?,
        };
        let mut path = OsString::from(&rel);
        if !rel.is_empty() {
            path.push("/");
        }
        path.push(&name);
        entries.push(Entry {
            path,
            is_dir: meta.is_dir(),
            size: (!meta.is_dir()).then_some(meta.len()),
        });
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

/// `root/path` (normalised), refused with MLflow's `Invalid path` (INVALID_PARAMETER_VALUE)
/// when it leaves the root: `..`, an absolute path, or a symlink leading out. It need not exist.
pub fn confined(root: &Path, path: &str) -> Result<PathBuf> {
    let rel = normpath(path);
    under(root, if rel == "." { "" } else { &rel })
}

/// The local directory an artifact location names: a plain path, or a `file:` URI without a
/// remote host (percent-decoded); `None` for anything elsewhere (`s3://...`,
/// `mlflow-artifacts:/...`, `file://host/...`). The same rule as Python's
/// `mlrs._artifacts.local_location`.
pub fn local_location(uri: &str) -> Option<PathBuf> {
    if let Some(rest) = uri.strip_prefix("file:") {
        let path = match rest.strip_prefix("//") {
            Some(authority_and_path) => {
                let slash = authority_and_path
                    .find('/')
                    .unwrap_or(authority_and_path.len());
                let host = &authority_and_path[..slash];
                if !(host.is_empty() || host == "localhost") {
                    return None;
                }
                &authority_and_path[slash..]
            }
            None => rest,
        };
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        return Some(PathBuf::from(decoded.into_owned()));
    }
    if let Some((scheme, _)) = uri.split_once(':')
        && scheme.chars().count() > 1
        && scheme
            .chars()
            .all(|c| c.is_alphanumeric() || c == '+' || c == '-')
    {
        return None;
    }
    Some(PathBuf::from(uri))
}

/// The text after the last `/` (MLflow names a download by it, and reports it when missing).
fn last_part(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or_default()
}

/// The local file or directory `root/path`, which must exist and stay inside the root.
pub fn local_path(root: &Path, path: &str) -> Result<PathBuf> {
    let found = under(root, &normpath(path)).map_err(|_| download_failed(last_part(path)))?;
    if fs::symlink_metadata(&found).is_err() {
        return Err(download_failed(last_part(path)));
    }
    Ok(found)
}

/// `download_artifacts`: copies `root/path` (a file or a tree) to `dst/<last part of path>`, as
/// MLflow names downloads (`"a/b"` lands in `dst/b`; `""` or `"a/"` copies the contents into
/// `dst`), and returns where it landed.
pub fn download(root: &Path, path: &str, dst: &Path) -> Result<PathBuf> {
    let source = local_path(root, path)?;
    let name = last_part(path);
    fs::create_dir_all(dst).map_err(at(dst))?;
    let out = under(dst, &normpath(name)).map_err(|_| download_failed(name))?;
    let real_root = fs::canonicalize(root).map_err(at(root))?;
    let meta = fs::metadata(&source).map_err(|_| download_failed(name))?;
    let base = out.strip_prefix(dst).unwrap_or(Path::new("")).to_owned();
    if meta.is_dir() {
        make_dir(dst, &base)?;
        copy_tree(&source, dst, &base, Some(&real_root))?;
    } else {
        let dir = make_dir(dst, base.parent().unwrap_or(Path::new("")))?;
        let file_name = out.file_name().unwrap_or_default().to_owned();
        write_via_staging(&dir, &file_name, |file| copy_contents(&source, file, true))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Err(e @ Error::Mlflow { .. }) => e.to_string(),
            other => panic!("expected an MlflowException, got {other:?}"),
        }
    }

    #[test]
    fn artifact_paths_use_mlflows_rule_and_message() {
        check_artifact_path("").unwrap();
        check_artifact_path("a/b").unwrap();
        assert_eq!(
            message(check_artifact_path("a/../..")),
            "Invalid artifact path: 'a/../..'. Names may be treated as files in certain cases, \
             and must not resolve to other names when treated as such. This name would resolve \
             to '..'"
        );
        for bad in ["/tmp", "..", "a/..", "a//b", "a/", "./a", "..x"] {
            assert!(check_artifact_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn artifact_files_are_normalised_then_split() {
        let split = |f: &str| split_artifact_file(f).map_err(|e| e.to_string());
        assert_eq!(split("a/b.txt").unwrap(), ("a".into(), "b.txt".into()));
        assert_eq!(
            split("d/../n.txt").unwrap(),
            (String::new(), "n.txt".into())
        );
        assert_eq!(split("d/./x/").unwrap(), ("d".into(), "x".into()));
        assert!(
            split("/abs.txt")
                .unwrap_err()
                .contains("Invalid artifact path: '/'")
        );
        assert!(
            split("a/../../x")
                .unwrap_err()
                .contains("Invalid artifact path: '..'")
        );
        assert!(matches!(
            split_artifact_file(""),
            Err(Error::Io { ref error, .. }) if error.kind() == io::ErrorKind::IsADirectory
        ));
        assert!(
            split(".artifact.uploading.x")
                .unwrap_err()
                .contains("reserved")
        );
    }

    #[test]
    fn writes_stay_under_the_root_and_listing_is_sorted() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("run/artifacts");
        write_file(&root, "b/x.txt", b"xx").unwrap();
        write_file(&root, "a.txt", b"a").unwrap();
        let listed = list(&root, None).unwrap();
        let paths: Vec<_> = listed
            .iter()
            .map(|e| (e.path.clone(), e.is_dir, e.size))
            .collect();
        assert_eq!(
            paths,
            vec![("a.txt".into(), false, Some(1)), ("b".into(), true, None)]
        );
        assert_eq!(
            list(&root, Some("b/")).unwrap()[0].path,
            OsString::from("b/x.txt")
        );
        assert!(list(&root, Some("a.txt")).unwrap().is_empty());
        assert!(list(&root, Some("..")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_root_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let outside_dir = tmp.path().join("outside");
        fs::create_dir_all(&root).unwrap();
        fs::create_dir_all(&outside_dir).unwrap();
        std::os::unix::fs::symlink(&outside_dir, root.join("link")).unwrap();
        assert_eq!(
            message(write_file(&root, "link/x.txt", b"x")),
            "Invalid path: resolved path is outside the artifact directory"
        );
        assert!(fs::read_dir(&outside_dir).unwrap().next().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn logged_trees_follow_links_without_loops() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir_all(src.join("sub")).unwrap();
        fs::write(tmp.path().join("secret"), b"s").unwrap();
        fs::write(src.join("sub/f"), b"f").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret"), src.join("link")).unwrap();
        std::os::unix::fs::symlink(&src, src.join("sub/loop")).unwrap();
        let root = tmp.path().join("root");
        log_dir(&root, &src, Some("t")).unwrap();
        assert_eq!(fs::read(root.join("t/link")).unwrap(), b"s");
        assert!(
            !fs::symlink_metadata(root.join("t/link"))
                .unwrap()
                .is_symlink()
        );
        assert!(root.join("t/sub/loop").is_dir());
        assert!(
            fs::read_dir(root.join("t/sub/loop"))
                .unwrap()
                .next()
                .is_none()
        );
        // Downloading refuses a link in the root that leads out of it.
        std::os::unix::fs::symlink(tmp.path().join("secret"), root.join("t/out")).unwrap();
        let dst = tmp.path().join("dst");
        assert!(download(&root, "t", &dst).is_err());
        assert_eq!(download(&root, "t/sub", &dst).unwrap(), dst.join("sub"));
        assert_eq!(fs::read(dst.join("sub/f")).unwrap(), b"f");
    }

    #[test]
    fn a_directory_swapped_for_a_symlink_mid_write_never_redirects_a_write() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let outside_dir = tmp.path().join("outside");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::create_dir_all(&outside_dir).unwrap();
        std::os::unix::fs::symlink(&outside_dir, root.join("swap")).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let swapper = {
            let (root, stop) = (root.clone(), std::sync::Arc::clone(&stop));
            std::thread::spawn(move || {
                let dir = rustix::fs::open(&root, OFlags::DIRECTORY, Mode::empty()).unwrap();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    rustix::fs::renameat_with(
                        &dir,
                        "sub",
                        &dir,
                        "swap",
                        rustix::fs::RenameFlags::EXCHANGE,
                    )
                    .unwrap();
                }
            })
        };
        for i in 0..100_000 {
            // Refusals are expected (the check sees the link); only escapes are wrong.
            let _ = write_file(&root, &format!("sub/f{i}.txt"), b"x");
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        swapper.join().unwrap();
        let escaped: Vec<_> = fs::read_dir(&outside_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(escaped.is_empty(), "written outside the root: {escaped:?}");
    }

    #[cfg(unix)]
    #[test]
    fn fifos_are_refused_instead_of_blocking() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir_all(&src).unwrap();
        let fifo = src.join("pipe");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let root = tmp.path().join("root");
        assert!(message(log_file(&root, &fifo, None)).contains("not a regular file"));
        assert!(message(log_dir(&root, &src, None)).contains("not a regular file"));
    }

    #[test]
    fn staged_files_are_published_or_discarded() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let (staged, dest) = stage(&root, "figs/p.png").unwrap();
        assert_eq!(staged.file_name().unwrap(), "p.png");
        fs::write(&staged, b"png").unwrap();
        publish(&staged, &root, "figs/p.png").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"png");
        let (staged, _) = stage(&root, "figs/q.png").unwrap();
        discard(&staged).unwrap();
        let names: Vec<_> = fs::read_dir(root.join("figs"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![OsString::from("p.png")]);
    }
}
