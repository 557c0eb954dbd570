//! `Store.log_inputs`: datasets and logged-model inputs of a run.

// PyO3 extracts arguments into owned values; taking them by reference would copy them again.
#![allow(clippy::needless_pass_by_value)]

use pyo3::prelude::*;

use crate::py::convert::{self, DatasetInputTuple};
use crate::py::store::PyStore;

#[pymethods]
impl PyStore {
    /// Logs `datasets` (`((name, digest, source_type, source, schema, profile), tags)` each)
    /// and the ids of logged models as inputs of an active run, in one transaction.
    fn log_inputs(
        &self,
        py: Python<'_>,
        run_id: &str,
        datasets: Vec<DatasetInputTuple>,
        model_ids: Vec<String>,
    ) -> PyResult<()> {
        let datasets = datasets
            .into_iter()
            .map(convert::dataset_input_from_tuple)
            .collect();
        self.run(py, |s| s.log_inputs(run_id, datasets, model_ids))
    }
}
