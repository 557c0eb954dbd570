//! The engine's error type. Every error carries one of MLflow's error-code names, so the binding
//! layer can raise `MlflowException` with the code a user of MLflow would see.

use std::fmt;

/// MLflow's error codes that the tracking store raises (the names of `databricks_pb2.ErrorCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InternalError,
    InvalidParameterValue,
    ResourceDoesNotExist,
    ResourceAlreadyExists,
    BadRequest,
    InvalidState,
    /// Another of MLflow's codes, as a tracking server answers it (`PERMISSION_DENIED`, ...).
    Other(&'static str),
}

/// MLflow's further error-code names that a tracking server may answer with.
const OTHER_CODES: [&str; 21] = [
    "PERMISSION_DENIED",
    "UNAUTHENTICATED",
    "CUSTOMER_UNAUTHORIZED",
    "TEMPORARILY_UNAVAILABLE",
    "REQUEST_LIMIT_EXCEEDED",
    "RESOURCE_EXHAUSTED",
    "ENDPOINT_NOT_FOUND",
    "NOT_FOUND",
    "NOT_IMPLEMENTED",
    "DEADLINE_EXCEEDED",
    "CANCELLED",
    "ABORTED",
    "RESOURCE_CONFLICT",
    "ALREADY_EXISTS",
    "DATA_LOSS",
    "IO_ERROR",
    "MALFORMED_REQUEST",
    "INVALID_STATE_TRANSITION",
    "RESOURCE_LIMIT_EXCEEDED",
    "DIRECTORY_NOT_EMPTY",
    "FEATURE_DISABLED",
];

impl ErrorCode {
    /// The name MLflow gives this code (`MlflowException.error_code`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InternalError => "INTERNAL_ERROR",
            Self::InvalidParameterValue => "INVALID_PARAMETER_VALUE",
            Self::ResourceDoesNotExist => "RESOURCE_DOES_NOT_EXIST",
            Self::ResourceAlreadyExists => "RESOURCE_ALREADY_EXISTS",
            Self::BadRequest => "BAD_REQUEST",
            Self::InvalidState => "INVALID_STATE",
            Self::Other(name) => name,
        }
    }

    /// The code of an MLflow error-code name, if MLflow has it.
    pub fn from_name(name: &str) -> Option<Self> {
        let known = [
            Self::InternalError,
            Self::InvalidParameterValue,
            Self::ResourceDoesNotExist,
            Self::ResourceAlreadyExists,
            Self::BadRequest,
            Self::InvalidState,
        ];
        known.into_iter().find(|c| c.as_str() == name).or_else(|| {
            OTHER_CODES
                .iter()
                .find(|&&c| c == name)
                .map(|&c| Self::Other(c))
        })
    }

    /// The code MLflow's client gives an HTTP status (`HTTP_STATUS_TO_ERROR_CODE`).
    pub fn from_http_status(status: u16) -> Self {
        match status {
            400 => Self::BadRequest,
            401 => Self::Other("UNAUTHENTICATED"),
            403 => Self::Other("PERMISSION_DENIED"),
            404 => Self::Other("ENDPOINT_NOT_FOUND"),
            409 => Self::Other("ALREADY_EXISTS"),
            429 => Self::Other("RESOURCE_EXHAUSTED"),
            499 => Self::Other("CANCELLED"),
            501 => Self::Other("NOT_IMPLEMENTED"),
            503 => Self::Other("TEMPORARILY_UNAVAILABLE"),
            504 => Self::Other("DEADLINE_EXCEEDED"),
            _ => Self::InternalError,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A refusal with MLflow's own message text and error code (bad input, missing entity, ...).
    #[error("{message}")]
    Mlflow { code: ErrorCode, message: String },
    /// SQLite failed in a way the engine does not translate (disk full, read-only file, ...).
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database exists but lacks what mlrs needs; the message says what to do.
    #[error("{0}")]
    Schema(String),
    /// A tracking server's refusal, as MLflow's `RestException` words it.
    #[error("{code_name}: {message}")]
    Rest {
        code: ErrorCode,
        /// The code as the server named it (kept when MLflow does not know it).
        code_name: String,
        message: String,
    },
    /// The background writer has stopped; the message is the reason.
    #[error("the mlrs background writer has stopped: {0}")]
    WriterStopped(String),
    /// SQLite failed on a given database file; the message names it.
    #[error("{source} (database file: {path})")]
    SqliteFile {
        path: String,
        source: rusqlite::Error,
    },
    /// The database file cannot take writes any more (deleted or replaced while open,
    /// read-only); the message names the file.
    #[error("{0}")]
    Unwritable(String),
    /// A file operation failed (artifacts): Python raises it as the `OSError` its own file
    /// functions would, with the errno and the path.
    #[error("{error}: {}", path.display())]
    Io {
        error: std::io::Error,
        path: std::path::PathBuf,
    },
}

impl Error {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Mlflow {
            code: ErrorCode::InvalidParameterValue,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::Mlflow {
            code: ErrorCode::ResourceDoesNotExist,
            message: message.into(),
        }
    }

    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::Mlflow {
            code: ErrorCode::ResourceAlreadyExists,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::Mlflow {
            code: ErrorCode::InternalError,
            message: message.into(),
        }
    }

    pub fn with_code(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Mlflow {
            code,
            message: message.into(),
        }
    }

    /// The MLflow error code a user sees for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Mlflow { code, .. } | Self::Rest { code, .. } => *code,
            Self::Sqlite(_)
            | Self::SqliteFile { .. }
            | Self::Schema(_)
            | Self::WriterStopped(_)
            | Self::Unwritable(_)
            | Self::Io { .. } => ErrorCode::InternalError,
        }
    }

    /// True when the failure is about the database or the machine (disk full, I/O error, the
    /// file gone or read-only), not about the ops that were being written: the same ops may
    /// succeed later, so the writer keeps them and retries instead of dropping them.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Sqlite(e) | Self::SqliteFile { source: e, .. } => matches!(
                e.sqlite_error_code(),
                Some(
                    rusqlite::ErrorCode::DiskFull
                        | rusqlite::ErrorCode::SystemIoFailure
                        | rusqlite::ErrorCode::CannotOpen
                        | rusqlite::ErrorCode::OutOfMemory
                        | rusqlite::ErrorCode::ReadOnly
                        | rusqlite::ErrorCode::PermissionDenied
                        | rusqlite::ErrorCode::FileLockingProtocolFailed
                        | rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::DatabaseCorrupt
                        | rusqlite::ErrorCode::NotADatabase
                )
            ),
            Self::Unwritable(_) => true,
            Self::Mlflow { .. }
            | Self::Rest { .. }
            | Self::Schema(_)
            | Self::WriterStopped(_)
            | Self::Io { .. } => false,
        }
    }

    /// True when SQLite reported that another connection holds the lock; such work is retried.
    pub fn is_busy(&self) -> bool {
        matches!(self, Self::Sqlite(e) | Self::SqliteFile { source: e, .. } if is_busy(e))
    }

    /// True when SQLite refused to write because the file, its directory or its file system
    /// is read-only (or not permitted to this user).
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            Self::Sqlite(e) | Self::SqliteFile { source: e, .. } if matches!(
                e.sqlite_error_code(),
                Some(
                    rusqlite::ErrorCode::ReadOnly
                        | rusqlite::ErrorCode::PermissionDenied
                        | rusqlite::ErrorCode::CannotOpen
                )
            )
        )
    }

    /// The same error, naming the database file when it came from SQLite.
    #[must_use]
    pub fn at(self, path: &std::path::Path) -> Self {
        match self {
            Self::Sqlite(source) => Self::SqliteFile {
                path: path.display().to_string(),
                source,
            },
            other => other,
        }
    }
}

/// True for `SQLITE_BUSY`/`SQLITE_LOCKED` ("database is locked"), which mlrs retries instead of
/// surfacing.
pub fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
