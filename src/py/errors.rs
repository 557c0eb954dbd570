//! The one place where engine errors become Python exceptions: `MlflowException` (defined in
//! `mlrs.exceptions`, where users catch it) with MLflow's error code, `RestException` for a
//! tracking server's refusal, and the `OSError` subclass for a failed file operation.

use pyo3::PyErr;
use pyo3::exceptions::PyOSError;

use crate::engine::Error;

pyo3::import_exception!(mlrs.exceptions, MlflowException);
pyo3::import_exception!(mlrs.exceptions, RestException);

/// The errno of a failed file operation (from its kind when the OS gave none).
fn errno(error: &std::io::Error) -> Option<i32> {
    use rustix::io::Errno;
    if let Some(code) = error.raw_os_error() {
        return Some(code);
    }
    let errno = match error.kind() {
        std::io::ErrorKind::NotFound => Errno::NOENT,
        std::io::ErrorKind::IsADirectory => Errno::ISDIR,
        std::io::ErrorKind::NotADirectory => Errno::NOTDIR,
        std::io::ErrorKind::AlreadyExists => Errno::EXIST,
        std::io::ErrorKind::PermissionDenied => Errno::ACCESS,
        _ => return None,
    };
    Some(errno.raw_os_error())
}

impl From<Error> for PyErr {
    fn from(error: Error) -> Self {
        if let Error::Io { error, path } = error {
            // As Python's own file functions raise it: `OSError(errno, strerror, path)`, which
            // Python turns into the subclass for the errno (`FileNotFoundError`, ...).
            let Some(code) = errno(&error) else {
                return PyOSError::new_err(format!("{error}: {}", path.display()));
            };
            let described = std::io::Error::from_raw_os_error(code).to_string();
            let strerror = described
                .strip_suffix(&format!(" (os error {code})"))
                .unwrap_or(&described)
                .to_owned();
            return PyOSError::new_err((code, strerror, path.into_os_string()));
        }
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
