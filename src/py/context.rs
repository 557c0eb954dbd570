//! What `start_run` records about the machine and the checkout, read without holding the GIL.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;

use crate::engine::git;

/// Whether tracked files of the checkout at `work_tree` differ from its index (`git_dir/index`):
/// True or False, or None when that can't be told within `budget_s` seconds.
#[pyfunction]
pub fn git_worktree_dirty(
    py: Python<'_>,
    work_tree: PathBuf,
    git_dir: PathBuf,
    budget_s: f64,
) -> Option<bool> {
    let budget = Duration::try_from_secs_f64(budget_s).unwrap_or(Duration::ZERO);
    py.detach(move || git::worktree_dirty(&work_tree, &git_dir, budget))
}
