//! The one place where engine errors become Python exceptions: `MlflowException` (defined in
//! `mlrs.exceptions`, where users catch it) with MLflow's error code.

use pyo3::PyErr;

use crate::engine::Error;

pyo3::import_exception!(mlrs.exceptions, MlflowException);
pyo3::import_exception!(mlrs.exceptions, RestException);

impl From<Error> for PyErr {
    fn from(error: Error) -> Self {
        if let Error::Rest {
            code_name, message, ..
        } = error
        {
            let json =
                std::collections::HashMap::from([("error_code", code_name), ("message", message)]);
            return RestException::new_err((json,));
        }
        MlflowException::new_err((error.to_string(), error.code().as_str()))
    }
}
