//! `Store.log_inputs`: datasets and logged-model inputs of a run.

// PyO3 extracts arguments into owned values; taking them by reference would copy them again.
#![allow(clippy::needless_pass_by_value)]

use pyo3::prelude::*;

use crate::py::rows::PyDatasetInputRow;
use crate::py::store::PyStore;

#[pymethods]
impl PyStore {
    /// Logs `datasets` and the ids of logged models as inputs of an active run, in one
    /// transaction.
    fn log_inputs(
        &self,
        py: Python<'_>,
        run_id: &str,
        datasets: Vec<Bound<'_, PyDatasetInputRow>>,
        model_ids: Vec<String>,
    ) -> PyResult<()> {
        let datasets = datasets.iter().map(|d| d.get().to_engine()).collect();
        self.run(py, |s| s.log_inputs(run_id, datasets, model_ids))
    }
}
