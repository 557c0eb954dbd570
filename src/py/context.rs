//! What `start_run` records about the machine and the checkout, read without holding the GIL.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;

use crate::engine::git;
use crate::py::detach;

/// `(git_dir, commit, branch, repo_url)`, as `git_checkout` returns it.
pub type CheckoutTuple = (OsString, Option<String>, Option<String>, Option<String>);

/// The repository holding directory `path`, read from its `.git`: `(git_dir, commit, branch,
/// repo_url)` (branch and URL only with a commit), or None outside any repository. Raises
/// OSError when a file that must be read can't be (a `.git` file, or one that is not UTF-8).
#[pyfunction]
pub fn git_checkout(py: Python<'_>, path: PathBuf) -> PyResult<Option<CheckoutTuple>> {
    let found = detach::engine(py, move || git::checkout(&path))?;
    Ok(found.map(|c| (c.git_dir.into_os_string(), c.commit, c.branch, c.repo_url)))
}

/// Whether tracked files of the checkout whose git directory is `git_dir` differ from its index:
/// True or False, or None when that can't be told within `budget_s` seconds or the directory
/// has no checkout of its own (a submodule's). Raises OSError when a linked worktree's `gitdir`
/// file can't be read.
#[pyfunction]
pub fn git_worktree_dirty(
    py: Python<'_>,
    git_dir: PathBuf,
    budget_s: f64,
) -> PyResult<Option<bool>> {
    let budget = Duration::try_from_secs_f64(budget_s).unwrap_or(Duration::ZERO);
    detach::engine(py, move || {
        git::work_tree(&git_dir)
            .map(|tree| tree.and_then(|tree| git::worktree_dirty(&tree, &git_dir, budget)))
    })
}
