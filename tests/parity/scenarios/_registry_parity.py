"""Helpers for the registry scenarios: registry entities described by their public fields."""

from __future__ import annotations

from typing import Any

from _parity import call, describe, record

MODEL_FIELDS = (
    "name",
    "creation_timestamp",
    "last_updated_timestamp",
    "description",
    "latest_versions",
    "tags",
    "aliases",
    "workspace",
    "deployment_job_id",
    "deployment_job_state",
)
VERSION_FIELDS = (
    "name",
    "version",
    "creation_timestamp",
    "last_updated_timestamp",
    "description",
    "user_id",
    "current_stage",
    "source",
    "run_id",
    "status",
    "status_message",
    "tags",
    "run_link",
    "aliases",
    "model_id",
    "params",
    "metrics",
    "deployment_job_state",
    "workspace",
)
KINDS = {
    "RegisteredModel": MODEL_FIELDS,
    "ModelVersion": VERSION_FIELDS,
    "RegisteredModelAlias": ("alias", "version"),
    "RegisteredModelTag": ("key", "value"),
    "ModelVersionTag": ("key", "value"),
}


def reg(value: Any) -> Any:
    """`describe`, extended to registry entities (inside lists and paged lists too)."""
    kind = type(value).__name__
    if kind in KINDS:
        return {"__type__": kind, **{f: reg(getattr(value, f, "<missing>")) for f in KINDS[kind]}}
    if kind == "PagedList":
        token = getattr(value, "token", None)
        return {"__type__": kind, "items": [reg(v) for v in value], "has_token": bool(token)}
    if type(value) is list:
        return [reg(v) for v in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {k: reg(v) for k, v in value.items()}
    return describe(value)


def rcall(label: str, fn: Any, **kwargs: Any) -> Any:
    """`call` with registry entities described field by field."""
    box: list[Any] = []

    def run() -> Any:
        box.append(fn())
        return None

    call(label, run, **kwargs)
    if box:
        record(f"{label} ->", reg(box[0]))
        return box[0]
    return None


def names(items: Any) -> list[Any]:
    return [(getattr(i, "name", None), getattr(i, "version", None)) for i in items]
