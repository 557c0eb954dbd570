"""The normalisation that the parity comparison relies on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _ci import import_or_unavailable, unavailable

from _harness import MARKER, normalise

pytestmark = pytest.mark.parity

WORKDIR = Path("/tmp/parity-x/mlflow")
RUN_A, RUN_B = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"


def one(value: object, label: str = "v") -> str:
    stdout = MARKER + json.dumps({"label": label, "value": value})
    ((_, text),) = normalise(stdout, WORKDIR)
    return text


def test_run_ids_are_numbered_by_first_appearance() -> None:
    stdout = "\n".join(
        MARKER + json.dumps({"label": "ids", "value": ids})
        for ids in ([RUN_B, RUN_A], [RUN_A], {RUN_A: RUN_B})
    )
    assert [text for _, text in normalise(stdout, WORKDIR)] == [
        '["<run0>", "<run1>"]',
        '["<run1>"]',
        '{"<run1>": "<run0>"}',
    ]


def test_now_timestamps_keep_their_type_and_small_ones_stay() -> None:
    assert one([1795737180149, 1795737180149.0, 1234, "at 1795737180149"]) == (
        '["<ts:int>", "<ts:float>", 1234, "at <ts>"]'
    )


def test_paths_and_random_names() -> None:
    value = f"{WORKDIR}/mlruns/0/{RUN_A}/artifacts skittish-auk-912"
    assert one(value) == '"<cwd>/mlruns/0/<run0>/artifacts <name>"'


@pytest.mark.parametrize("name", ["a-b-1001", "skittish-auk-99999", "averyveryverylong-name-12"])
def test_names_out_of_shape_are_kept(name: str) -> None:
    assert one(name) == json.dumps(name)


def test_non_finite_floats_and_other_lines() -> None:
    stdout = f"noise\n{MARKER}" + json.dumps({"label": "x", "value": [float("nan"), float("inf")]})
    assert normalise(stdout, WORKDIR) == [("x", "[NaN, Infinity]")]


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), (None, pytest.skip.Exception)]
)
def test_a_missing_dependency_skips_locally_and_fails_in_ci(
    ci: str | None, outcome: type[BaseException], monkeypatch: pytest.MonkeyPatch
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="mlrs is not importable"):
        unavailable("mlrs is not importable")
    with pytest.raises(outcome, match="No module named"):
        import_or_unavailable("mlrs_has_no_such_module")
