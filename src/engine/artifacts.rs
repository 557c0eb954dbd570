//! Run artifacts: files under a run's artifact root, laid out as MLflow 3.18 lays them out.
//!
//! Every write lands under the root: relative paths are checked with MLflow's rule
//! (`Invalid artifact path: ...`), and the real location of a destination (its existing ancestors
//! with symlinks resolved) must stay inside the real root. Files are written to a hidden
//! `.artifact.uploading.*` name in the destination directory and renamed into place, so a reader
//! never sees half a file; MLflow's listing hides that prefix too.
//!
//! Symlinks inside a *logged* directory are followed: a file link's target bytes are copied and a
//! directory link's contents are copied, as regular files under the destination (mlrs never
//! creates a symlink under a root, so nothing can be written through one later). A directory link
//! that loops back to a directory being copied becomes an empty directory. When a tree is
//! *downloaded* out of a run's root, a symlink in it that leads outside the root is refused.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::engine::error::Error;
use crate::engine::validate::{normpath, py_repr};

/// MLflow's prefix for files being written; listings skip it and artifact names may not use it.
pub const STAGING_PREFIX: &str = ".artifact.uploading.";

/// A failure of an artifact operation: one of MLflow's refusals, or an OS error on a path (the
/// binding layer raises the matching `OSError` subclass, e.g. `FileNotFoundError`).
#[derive(Debug)]
pub enum ArtifactError {
    Mlflow(Error),
    Io { error: io::Error, path: PathBuf },
}

impl From<Error> for ArtifactError {
    fn from(error: Error) -> Self {
        Self::Mlflow(error)
    }
}

impl std::fmt::Display for ArtifactError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Mlflow(error) => error.fmt(f),
            Self::Io { error, path } => write!(f, "{error}: {}", path.display()),
        }
    }
}

pub type Result<T> = std::result::Result<T, ArtifactError>;

fn at(path: &Path) -> impl FnOnce(io::Error) -> ArtifactError + '_ {
    move |error| ArtifactError::Io {
        error,
        path: path.to_owned(),
    }
}

fn io_kind(kind: io::ErrorKind, path: &Path) -> ArtifactError {
    ArtifactError::Io {
        error: kind.into(),
        path: path.to_owned(),
    }
}

fn outside() -> ArtifactError {
    Error::invalid("Invalid path: resolved path is outside the artifact directory").into()
}

fn download_failed(path: &str) -> ArtifactError {
    Error::not_found(format!(
        "Failed to download artifacts from path {}, please ensure that the path is correct.",
        py_repr(path)
    ))
    .into()
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
        ))
        .into());
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
        ))
        .into());
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
                        return Err(ArtifactError::Io {
                            error: e,
                            path: path.to_owned(),
                        });
                    }
                }
            }
            Err(e) => {
                return Err(ArtifactError::Io {
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

/// Creates the checked directory `root/rel` (and the root) when missing.
fn make_dir(root: &Path, rel: &str) -> Result<PathBuf> {
    let dir = under(root, rel)?;
    fs::create_dir_all(&dir).map_err(at(&dir))?;
    Ok(dir)
}

fn staging_name() -> String {
    format!("{STAGING_PREFIX}{}", uuid::Uuid::new_v4().simple())
}

/// Writes `dir/name` through a staging file in `dir` that `fill` writes and that is then renamed
/// over the destination (atomic; a symlink already at the destination is replaced, not followed).
fn write_via_staging(
    dir: &Path,
    name: &OsStr,
    fill: impl FnOnce(&mut File) -> Result<()>,
) -> Result<PathBuf> {
    let staged = dir.join(staging_name());
    let dest = dir.join(name);
    let mut output = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&staged)
        .map_err(at(&staged))?;
    let filled = fill(&mut output);
    drop(output);
    let result = filled.and_then(|()| fs::rename(&staged, &dest).map_err(at(&dest)));
    if result.is_err() {
        let _ = fs::remove_file(&staged);
    }
    result.map(|()| dest)
}

fn copy_contents(source: &Path, file: &mut File, keep_stat: bool) -> Result<()> {
    let mut input = File::open(source).map_err(at(source))?;
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
    let dest = dir.join(name);
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
    let dest = make_dir(root, artifact_path)?;
    copy_tree(local_dir, root, &dest, None)
}

/// `log_text`/`log_dict`: writes `data` to `root/artifact_file`.
pub fn write_file(root: &Path, artifact_file: &str, data: &[u8]) -> Result<PathBuf> {
    let (dir, name) = split_artifact_file(artifact_file)?;
    let dir_path = make_dir(root, &dir)?;
    confine(root, &dir_path.join(&name))?;
    write_via_staging(&dir_path, OsStr::new(&name), |file| {
        io::Write::write_all(file, data).map_err(at(&dir_path.join(&name)))
    })
}

/// Prepares `root/artifact_file` for a writer that needs a path (a figure, an image, a table):
/// returns `(staged, dest)`, where `staged` has the destination's file name (so writers that
/// pick a format by extension pick the right one) inside a fresh hidden staging directory next
/// to the destination. `publish` moves it into place, `discard` drops it.
pub fn stage(root: &Path, artifact_file: &str) -> Result<(PathBuf, PathBuf)> {
    let (dir, name) = split_artifact_file(artifact_file)?;
    let dir_path = make_dir(root, &dir)?;
    let dest = dir_path.join(&name);
    confine(root, &dest)?;
    let staging = dir_path.join(staging_name());
    fs::create_dir(&staging).map_err(at(&staging))?;
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
        _ => Err(Error::invalid(format!("not a staged artifact: {}", staged.display())).into()),
    }
}

/// Moves a staged file (see `stage`) to its destination and removes its staging directory.
pub fn publish(staged: &Path, dest: &Path) -> Result<()> {
    let dir = staging_dir(staged)?;
    let moved = fs::rename(staged, dest).map_err(|error| {
        let path = if error.kind() == io::ErrorKind::NotFound {
            staged
        } else {
            dest
        };
        ArtifactError::Io {
            error,
            path: path.to_owned(),
        }
    });
    let _ = fs::remove_dir_all(dir);
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

/// Copies the contents of `source_dir` into `dest_dir` (which exists, inside `root`).
fn copy_tree(source_dir: &Path, root: &Path, dest_dir: &Path, limit: Option<&Path>) -> Result<()> {
    let real_source = fs::canonicalize(source_dir).map_err(at(source_dir))?;
    let real_dest = fs::canonicalize(dest_dir).map_err(at(dest_dir))?;
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
                let dir = dest_dir.join(rel);
                confine(root, &dir)?;
                fs::create_dir_all(&dir).map_err(at(&dir))?;
            }
            Node::File { source, rel } => {
                let dest = dest_dir.join(&rel);
                confine(root, &dest)?;
                let parent = dest.parent().unwrap_or(dest_dir);
                let name = dest.file_name().unwrap_or_default();
                write_via_staging(parent, name, |file| copy_contents(&source, file, false))?;
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
    if meta.is_dir() {
        fs::create_dir_all(&out).map_err(at(&out))?;
        copy_tree(&source, dst, &out, Some(&real_root))?;
    } else {
        let parent = out.parent().unwrap_or(dst).to_owned();
        let file_name = out.file_name().unwrap_or_default().to_owned();
        write_via_staging(&parent, &file_name, |file| {
            copy_contents(&source, file, true)
        })?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Err(ArtifactError::Mlflow(e)) => e.to_string(),
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
            Err(ArtifactError::Io { ref error, .. }) if error.kind() == io::ErrorKind::IsADirectory
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
    fn staged_files_are_published_or_discarded() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let (staged, dest) = stage(&root, "figs/p.png").unwrap();
        assert_eq!(staged.file_name().unwrap(), "p.png");
        fs::write(&staged, b"png").unwrap();
        publish(&staged, &dest).unwrap();
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
