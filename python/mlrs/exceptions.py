"""Exceptions raised by mlrs, shaped like ``mlflow.exceptions``.

``MlflowException`` is what users catch: it carries MLflow's error code as a string name
(``e.error_code == "RESOURCE_DOES_NOT_EXIST"``), the HTTP status MLflow would answer with, and the
same JSON form. The Rust engine raises it with a string code; user code may pass MLflow's int
codes from ``mlrs.protos.databricks_pb2`` as well.
"""

from __future__ import annotations

from mlrs.protos.databricks_pb2 import (
    ABORTED,
    ALREADY_EXISTS,
    BAD_REQUEST,
    CANCELLED,
    CUSTOMER_UNAUTHORIZED,
    DATA_LOSS,
    DEADLINE_EXCEEDED,
    ENDPOINT_NOT_FOUND,
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
    INVALID_STATE,
    NOT_FOUND,
    NOT_IMPLEMENTED,
    PERMISSION_DENIED,
    REQUEST_LIMIT_EXCEEDED,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_CONFLICT,
    RESOURCE_DOES_NOT_EXIST,
    RESOURCE_EXHAUSTED,
    TEMPORARILY_UNAVAILABLE,
    UNAUTHENTICATED,
    ErrorCode,
)

TYPE_CHECKING = False  # names below are for type checkers; importing typing costs ms
if TYPE_CHECKING:
    from typing import Any

    from typing_extensions import Self

# The error code ints are exported too, as ``mlflow.exceptions`` offers them to importers.
__all__ = [
    "ABORTED",
    "ALREADY_EXISTS",
    "BAD_REQUEST",
    "CANCELLED",
    "CUSTOMER_UNAUTHORIZED",
    "DATA_LOSS",
    "DEADLINE_EXCEEDED",
    "ENDPOINT_NOT_FOUND",
    "ERROR_CODE_TO_HTTP_STATUS",
    "HTTP_STATUS_TO_ERROR_CODE",
    "INTERNAL_ERROR",
    "INVALID_PARAMETER_VALUE",
    "INVALID_STATE",
    "NOT_FOUND",
    "NOT_IMPLEMENTED",
    "PERMISSION_DENIED",
    "REQUEST_LIMIT_EXCEEDED",
    "RESOURCE_ALREADY_EXISTS",
    "RESOURCE_CONFLICT",
    "RESOURCE_DOES_NOT_EXIST",
    "RESOURCE_EXHAUSTED",
    "TEMPORARILY_UNAVAILABLE",
    "UNAUTHENTICATED",
    "ErrorCode",
    "ExecutionException",
    "InvalidUrlException",
    "MissingConfigException",
    "MlflowException",
    "MlflowNotImplementedException",
    "MlflowTracingException",
    "RestException",
    "get_error_code",
]

ERROR_CODE_TO_HTTP_STATUS: dict[str, int] = {
    "INTERNAL_ERROR": 500,
    "INVALID_STATE": 500,
    "DATA_LOSS": 500,
    "NOT_IMPLEMENTED": 501,
    "TEMPORARILY_UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "CANCELLED": 499,
    "RESOURCE_EXHAUSTED": 429,
    "ABORTED": 409,
    "RESOURCE_CONFLICT": 409,
    "ALREADY_EXISTS": 409,
    "NOT_FOUND": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "PERMISSION_DENIED": 403,
    "CUSTOMER_UNAUTHORIZED": 401,
    "UNAUTHENTICATED": 401,
    "BAD_REQUEST": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "INVALID_PARAMETER_VALUE": 400,
}
"""HTTP status that MLflow's server answers with for each error code name (others: 500)."""

HTTP_STATUS_TO_ERROR_CODE: dict[int, str] = {
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
    503: "TEMPORARILY_UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    409: "ALREADY_EXISTS",
    404: "ENDPOINT_NOT_FOUND",
    403: "PERMISSION_DENIED",
    401: "UNAUTHENTICATED",
    400: "BAD_REQUEST",
}
"""Error code name that MLflow's REST client assumes for a bare HTTP status."""

# Error classification that MLflow 3.18 attaches to every exception: error code name ->
# (error_class, sqlstate), once as seen by a client and once as reported by a server ("CP").
_CLIENT_CLASSIFICATION: dict[str, tuple[str, str]] = {
    "BAD_REQUEST": ("INVALID_PARAMETER_VALUE", "KAM00"),
    "CUSTOMER_UNAUTHORIZED": ("PERMISSION_DENIED", "KAM00"),
    "ENDPOINT_NOT_FOUND": ("RESOURCE_NOT_FOUND", "KAM00"),
    "FEATURE_DISABLED": ("FEATURE_DISABLED", "KAM00"),
    "INTERNAL_ERROR": ("CLIENT_INTERNAL_ERROR", "XXM00"),
    "INVALID_PARAMETER_VALUE": ("INVALID_PARAMETER_VALUE", "KAM00"),
    "INVALID_STATE": ("CLIENT_INTERNAL_ERROR", "XXM00"),
    "NOT_FOUND": ("RESOURCE_NOT_FOUND", "KAM00"),
    "PERMISSION_DENIED": ("PERMISSION_DENIED", "KAM00"),
    "RESOURCE_ALREADY_EXISTS": ("RESOURCE_ALREADY_EXISTS", "KAM00"),
    "RESOURCE_DOES_NOT_EXIST": ("RESOURCE_NOT_FOUND", "KAM00"),
    "TEMPORARILY_UNAVAILABLE": ("CLIENT_INTERNAL_ERROR", "XXM00"),
}
_SERVER_CLASSIFICATION: dict[str, tuple[str, str]] = {
    "BAD_REQUEST": ("CP_INVALID_PARAMETER_VALUE", "KAMC4"),
    "CUSTOMER_UNAUTHORIZED": ("CP_PERMISSION_DENIED", "KAMC1"),
    "ENDPOINT_NOT_FOUND": ("CP_RESOURCE_NOT_FOUND", "KAMC2"),
    "INTERNAL_ERROR": ("CP_INTERNAL_ERROR", "XXMC0"),
    "INVALID_PARAMETER_VALUE": ("CP_INVALID_PARAMETER_VALUE", "KAMC4"),
    "INVALID_STATE": ("CP_INVALID_STATE", "XXMC2"),
    "NOT_FOUND": ("CP_RESOURCE_NOT_FOUND", "KAMC2"),
    "PERMISSION_DENIED": ("CP_PERMISSION_DENIED", "KAMC1"),
    "REQUEST_LIMIT_EXCEEDED": ("CP_REQUEST_RATE_LIMITED", "KAMC3"),
    "RESOURCE_ALREADY_EXISTS": ("CP_RESOURCE_CONFLICT", "KAMC5"),
    "RESOURCE_CONFLICT": ("CP_RESOURCE_CONFLICT", "KAMC5"),
    "RESOURCE_DOES_NOT_EXIST": ("CP_RESOURCE_NOT_FOUND", "KAMC2"),
    "RESOURCE_EXHAUSTED": ("CP_REQUEST_RATE_LIMITED", "KAMC3"),
    "TEMPORARILY_UNAVAILABLE": ("CP_TEMPORARILY_UNAVAILABLE", "XXMC1"),
    "UNAUTHENTICATED": ("CP_PERMISSION_DENIED", "KAMC1"),
}
# Error classes whose sqlstate is more specific than the one their error code implies.
_ERROR_CLASS_SQLSTATE: dict[str, str] = {
    "ATTRIBUTE_NOT_FOUND": "KAM04",
    "MODEL_SERIALIZATION_FAILED": "KAM03",
    "PREDICTION_FUNCTION_FAILED": "KAM02",
    "SCHEMA_ENFORCEMENT_FAILED": "KAM01",
}


def _error_code_name(error_code: int | str) -> str:
    """The name of an error code given as MLflow's int or as a name; INTERNAL_ERROR if unknown."""
    if isinstance(error_code, str):
        try:
            ErrorCode.Value(error_code)
        except ValueError:
            return "INTERNAL_ERROR"
        return error_code
    try:
        return ErrorCode.Name(error_code)
    except (ValueError, TypeError):
        return "INTERNAL_ERROR"


def get_error_code(http_status: int) -> int:
    """The int error code MLflow's REST client assumes for an HTTP status."""
    return ErrorCode.Value(HTTP_STATUS_TO_ERROR_CODE.get(http_status, "INTERNAL_ERROR"))


class MlflowException(Exception):
    """An error from an MLflow operation, with an error code meant for clients.

    Args:
        message: What went wrong (anything; it is turned into a string).
        error_code: An ``ErrorCode`` int from ``mlrs.protos.databricks_pb2`` or its name;
            unknown values become ``INTERNAL_ERROR``.
        sqlstate: A 5-character SQLSTATE; derived from the error class or code when omitted.
        error_class: A finer classification than the code; derived from the code when omitted.
        kwargs: Extra fields added to the JSON form.
    """

    def __init__(
        self,
        message: object,
        error_code: int | str = INTERNAL_ERROR,
        sqlstate: str | None = None,
        error_class: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.error_code: str = _error_code_name(error_code)
        self.message: str = str(message)
        client_class, client_sqlstate = _CLIENT_CLASSIFICATION.get(self.error_code, (None, None))
        self.error_class: str | None = error_class if error_class is not None else client_class
        if sqlstate is None and self.error_class is not None:
            sqlstate = _ERROR_CLASS_SQLSTATE.get(self.error_class)
        self.sqlstate: str | None = sqlstate if sqlstate is not None else client_sqlstate
        self.json_kwargs: dict[str, Any] = kwargs
        super().__init__(self.message)

    def serialize_as_json(self) -> str:
        """The exception as MLflow's server sends it: a JSON object with code and message."""
        import json

        body: dict[str, Any] = {"error_code": self.error_code, "message": self.message}
        if self.sqlstate is not None:
            body["sqlstate"] = self.sqlstate
        if self.error_class is not None:
            body["error_class"] = self.error_class
        body.update(self.json_kwargs)
        return json.dumps(body)

    def get_http_status_code(self) -> int:
        """The HTTP status MLflow's server would answer with for this error."""
        return ERROR_CODE_TO_HTTP_STATUS.get(self.error_code, 500)

    @classmethod
    def invalid_parameter_value(
        cls,
        message: object,
        sqlstate: str | None = None,
        error_class: str | None = None,
        **kwargs: Any,
    ) -> Self:
        """An exception of this class with the ``INVALID_PARAMETER_VALUE`` code."""
        return cls(
            message,
            error_code=INVALID_PARAMETER_VALUE,
            sqlstate=sqlstate,
            error_class=error_class,
            **kwargs,
        )


class RestException(MlflowException):
    """An error answer (non-2xx) from an MLflow REST server, built from its JSON body.

    The message is ``"<error_code>: <message>"``. A numeric ``error_code`` in the body is read as
    an HTTP status; a code MLflow does not know becomes ``INTERNAL_ERROR`` with a warning.
    """

    def __init__(self, json: dict[str, Any]) -> None:
        self.json = json
        code = json.get("error_code") or "INTERNAL_ERROR"
        detail = json.get("message", f"Response: {json}")
        message = f"{code}: {detail}"
        try:
            ErrorCode.Value(code)
            known: str | None = code
        except ValueError:
            try:
                known = HTTP_STATUS_TO_ERROR_CODE[int(code)]
            except (ValueError, KeyError, TypeError):
                from mlrs import _log

                _log.logger().getChild("exceptions").warning(
                    "Received error code not recognized by MLflow: %s, this may indicate your "
                    "request encountered an error before reaching MLflow server, e.g., within a "
                    "proxy server or authentication / authorization service.",
                    code,
                )
                known = None
        super().__init__(message, error_code=known or INTERNAL_ERROR)
        server_class, server_sqlstate = _SERVER_CLASSIFICATION.get(self.error_code, (None, None))
        sqlstate = json.get("sqlstate")
        self.sqlstate = sqlstate if sqlstate not in (None, "") else server_sqlstate
        error_class = json.get("error_class")
        self.error_class = error_class if error_class not in (None, "") else server_class

    def __reduce__(self) -> tuple[type[RestException], tuple[dict[str, Any]]]:
        return RestException, (self.json,)


class ExecutionException(MlflowException):
    """Running an MLflow project failed."""


class MissingConfigException(MlflowException):
    """An expected configuration file or directory is missing."""


class InvalidUrlException(MlflowException):
    """An HTTP request could not be sent because its URL is invalid."""


class MlflowTracingException(MlflowException):
    """An error in tracing code, kept apart so that tracing never breaks the traced program."""

    def __init__(self, message: object, error_code: int | str = INTERNAL_ERROR) -> None:
        super().__init__(message, error_code=error_code)


class MlflowNotImplementedException(MlflowException):
    """The requested feature is not implemented (``NOT_IMPLEMENTED``, HTTP 501)."""

    def __init__(self, message: object = "") -> None:
        super().__init__(message, error_code=NOT_IMPLEMENTED)
