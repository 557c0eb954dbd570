"""MlflowException, its subclasses and the protobuf-free ErrorCode, compared with mlflow 3.18."""

from __future__ import annotations

import json
import logging
import pickle
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from _ci import import_or_unavailable

import mlrs.exceptions as mlrs_exceptions
from mlrs.exceptions import (
    ExecutionException,
    InvalidUrlException,
    MissingConfigException,
    MlflowException,
    MlflowNotImplementedException,
    MlflowTracingException,
    RestException,
)
from mlrs.protos import databricks_pb2
from mlrs.protos.databricks_pb2 import (
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
    RESOURCE_DOES_NOT_EXIST,
    ErrorCode,
)


@pytest.fixture(scope="module")
def mlflow_exceptions() -> Any:
    return import_or_unavailable("mlflow.exceptions")


@pytest.fixture(scope="module")
def mlflow_pb2() -> Any:
    return import_or_unavailable("mlflow.protos.databricks_pb2")


def _state(exc: Any) -> dict[str, Any]:
    """Everything observable about an MlflowException."""
    return {
        "type": type(exc).__name__,
        "message": exc.message,
        "str": str(exc),
        "args": exc.args,
        "error_code": exc.error_code,
        "error_class": exc.error_class,
        "sqlstate": exc.sqlstate,
        "json_kwargs": exc.json_kwargs,
        "json": exc.serialize_as_json(),
        "http_status": exc.get_http_status_code(),
    }


def test_error_code_enum_matches_mlflow(mlflow_pb2: ModuleType) -> None:
    theirs = mlflow_pb2.ErrorCode
    assert ErrorCode.items() == list(theirs.items())
    assert ErrorCode.keys() == list(theirs.keys())
    assert ErrorCode.values() == list(theirs.values())
    for name, number in theirs.items():
        assert getattr(databricks_pb2, name) == number
        assert getattr(ErrorCode, name) == number
        assert ErrorCode.Name(number) == name
        assert ErrorCode.Value(name) == number


@pytest.mark.parametrize(
    "call",
    [
        lambda ec: ec.Name(99999),
        lambda ec: ec.Name(1.0),
        lambda ec: ec.Name("INTERNAL_ERROR"),
        lambda ec: ec.Name(None),
        lambda ec: ec.Name(True),
        lambda ec: ec.Value("NOPE"),
        lambda ec: ec.Value(1),
        lambda ec: ec.Value(None),
    ],
)
def test_error_code_lookup_errors_match_mlflow(
    mlflow_pb2: ModuleType, call: Callable[[Any], Any]
) -> None:
    def outcome(error_code: Any) -> tuple[str, str]:
        try:
            return "ok", repr(call(error_code))
        except Exception as exc:
            return type(exc).__name__, str(exc)

    assert outcome(ErrorCode) == outcome(mlflow_pb2.ErrorCode)


def test_error_code_unknown_attribute() -> None:
    with pytest.raises(AttributeError):
        ErrorCode.NOT_A_CODE  # noqa: B018


def test_every_code_matches_mlflow(mlflow_exceptions: ModuleType, mlflow_pb2: ModuleType) -> None:
    for name, number in mlflow_pb2.ErrorCode.items():
        theirs = _state(mlflow_exceptions.MlflowException("boom", number))
        assert _state(MlflowException("boom", number)) == theirs, name
        # mlrs also takes the name (the Rust layer passes names); mlflow would not.
        assert _state(MlflowException("boom", name)) == theirs, name


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("INVALID_PARAMETER_VALUE", 400),
        ("BAD_REQUEST", 400),
        ("RESOURCE_ALREADY_EXISTS", 400),
        ("RESOURCE_DOES_NOT_EXIST", 404),
        ("ENDPOINT_NOT_FOUND", 404),
        ("PERMISSION_DENIED", 403),
        ("UNAUTHENTICATED", 401),
        ("INTERNAL_ERROR", 500),
        ("INVALID_STATE", 500),
        ("NOT_IMPLEMENTED", 501),
        ("COULD_NOT_ACQUIRE_LOCK", 500),
    ],
)
def test_http_status(name: str, status: int) -> None:
    assert MlflowException("m", name).get_http_status_code() == status


@pytest.mark.parametrize("error_code", [99999, -1, 1.5, None, "NOPE", "", b"INTERNAL_ERROR"])
def test_unknown_codes_become_internal_error(
    mlflow_exceptions: ModuleType, error_code: Any
) -> None:
    ours = MlflowException("m", error_code)
    assert ours.error_code == "INTERNAL_ERROR"
    assert _state(ours) == _state(mlflow_exceptions.MlflowException("m", error_code))


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("plain",), {}),
        ((ValueError("wrapped"),), {}),
        ((42,), {}),
        (("m",), {"error_code": RESOURCE_DOES_NOT_EXIST, "run_id": "abc", "n": [1, 2]}),
        (("m",), {"sqlstate": "S0001"}),
        (("m",), {"error_class": "SCHEMA_ENFORCEMENT_FAILED"}),
        (("m",), {"error_class": "ATTRIBUTE_NOT_FOUND", "error_code": INVALID_PARAMETER_VALUE}),
        (("m",), {"error_class": "MY_CLASS", "sqlstate": ""}),
        (("m",), {"error_code": 2002}),
    ],
)
def test_constructor_matches_mlflow(
    mlflow_exceptions: ModuleType, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    ours = _state(MlflowException(*args, **kwargs))
    assert ours == _state(mlflow_exceptions.MlflowException(*args, **kwargs))


def test_defaults_and_json() -> None:
    exc = MlflowException("Run with id=abc not found", error_code="RESOURCE_DOES_NOT_EXIST")
    assert str(exc) == "Run with id=abc not found"
    assert exc.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert exc.get_http_status_code() == 404
    assert json.loads(exc.serialize_as_json()) == {
        "error_code": "RESOURCE_DOES_NOT_EXIST",
        "message": "Run with id=abc not found",
        "sqlstate": "KAM00",
        "error_class": "RESOURCE_NOT_FOUND",
    }
    assert MlflowException("x").error_code == "INTERNAL_ERROR"
    assert MlflowException("x", INTERNAL_ERROR).get_http_status_code() == 500


def test_invalid_parameter_value_matches_mlflow(mlflow_exceptions: ModuleType) -> None:
    ours = MlflowException.invalid_parameter_value("bad", key="k")
    theirs = mlflow_exceptions.MlflowException.invalid_parameter_value("bad", key="k")
    assert _state(ours) == _state(theirs)
    assert ours.error_code == "INVALID_PARAMETER_VALUE"
    assert ours.get_http_status_code() == 400
    assert type(ExecutionException.invalid_parameter_value("x")) is ExecutionException


def test_pickle_keeps_everything() -> None:
    exc = MlflowException("p", RESOURCE_DOES_NOT_EXIST, extra=1)
    copy = pickle.loads(pickle.dumps(exc))
    assert _state(copy) == _state(exc)


REST_BODIES: list[dict[str, Any]] = [
    {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Run 'x' not found"},
    {"error_code": "INVALID_PARAMETER_VALUE", "message": "bad", "sqlstate": "", "error_class": ""},
    {"error_code": "BAD_REQUEST", "message": "m", "sqlstate": "ABCDE", "error_class": "MINE"},
    {"error_code": "404"},
    {"error_code": 429, "message": "slow down"},
    {"message": "no code"},
    {"error_code": None, "message": "null code"},
]


@pytest.mark.parametrize("body", REST_BODIES)
def test_rest_exception_matches_mlflow(mlflow_exceptions: ModuleType, body: dict[str, Any]) -> None:
    ours = RestException(dict(body))
    theirs = mlflow_exceptions.RestException(dict(body))
    assert _state(ours) == _state(theirs)
    assert ours.json == body
    assert _state(pickle.loads(pickle.dumps(ours))) == _state(ours)


def test_rest_exception_unknown_code_warns(
    mlflow_exceptions: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"error_code": "TEAPOT", "message": "short and stout"}
    with caplog.at_level(logging.WARNING, logger="mlrs.exceptions"):
        ours = RestException(body)
    assert [r.getMessage() for r in caplog.records if r.name == "mlrs.exceptions"] == [
        "Received error code not recognized by MLflow: TEAPOT, this may indicate your request "
        "encountered an error before reaching MLflow server, e.g., within a proxy server or "
        "authentication / authorization service."
    ]
    with caplog.at_level(logging.CRITICAL, logger="mlflow.exceptions"):
        theirs = mlflow_exceptions.RestException(body)
    assert _state(ours) == _state(theirs)


@pytest.mark.parametrize(
    "name",
    [
        "ExecutionException",
        "MissingConfigException",
        "InvalidUrlException",
        "MlflowTracingException",
        "MlflowNotImplementedException",
        "RestException",
    ],
)
def test_subclasses_match_mlflow(mlflow_exceptions: ModuleType, name: str) -> None:
    ours = getattr(mlrs_exceptions, name)
    theirs = getattr(mlflow_exceptions, name)
    assert issubclass(ours, MlflowException)
    assert [c.__name__ for c in ours.__mro__] == [c.__name__ for c in theirs.__mro__]


@pytest.mark.parametrize(
    "build",
    [
        lambda m: m.ExecutionException("failed", error_code=m.INVALID_PARAMETER_VALUE),
        lambda m: m.MissingConfigException("no MLproject"),
        lambda m: m.InvalidUrlException("bad url"),
        lambda m: m.MlflowTracingException("trace"),
        lambda m: m.MlflowTracingException("trace", error_code=m.INVALID_STATE),
        lambda m: m.MlflowNotImplementedException(),
        lambda m: m.MlflowNotImplementedException("later"),
    ],
)
def test_subclass_instances_match_mlflow(
    mlflow_exceptions: ModuleType, build: Callable[[Any], Any]
) -> None:
    assert _state(build(mlrs_exceptions)) == _state(build(mlflow_exceptions))


def test_subclasses_are_caught_as_mlflow_exception() -> None:
    for exc in (
        ExecutionException("a"),
        MissingConfigException("b"),
        InvalidUrlException("c"),
        MlflowTracingException("d"),
        MlflowNotImplementedException(),
        RestException({"error_code": "NOT_FOUND"}),
    ):
        with pytest.raises(MlflowException):
            raise exc


def test_status_tables_match_mlflow(mlflow_exceptions: ModuleType) -> None:
    assert mlrs_exceptions.ERROR_CODE_TO_HTTP_STATUS == mlflow_exceptions.ERROR_CODE_TO_HTTP_STATUS
    assert mlrs_exceptions.HTTP_STATUS_TO_ERROR_CODE == mlflow_exceptions.HTTP_STATUS_TO_ERROR_CODE
    for status in (200, 400, 401, 403, 404, 409, 418, 429, 499, 500, 501, 503, 504):
        ours = mlrs_exceptions.get_error_code(status)
        assert ours == mlflow_exceptions.get_error_code(status), status


def test_error_code_ints_importable_from_exceptions(mlflow_exceptions: ModuleType) -> None:
    theirs = {n for n in dir(mlflow_exceptions) if n.isupper() and not n.startswith("_")}
    theirs -= {"ERROR_CODE_TO_HTTP_STATUS", "HTTP_STATUS_TO_ERROR_CODE"}
    for name in theirs:
        assert getattr(mlrs_exceptions, name) == getattr(mlflow_exceptions, name), name


def test_rest_exception_for_every_code_matches_mlflow(
    mlflow_exceptions: ModuleType, mlflow_pb2: ModuleType
) -> None:
    for name, _number in mlflow_pb2.ErrorCode.items():
        body = {"error_code": name, "message": "m"}
        ours = RestException(body)
        assert _state(ours) == _state(mlflow_exceptions.RestException(body)), name
