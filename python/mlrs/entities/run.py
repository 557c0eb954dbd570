"""``Run``: a run's metadata, data, inputs and outputs together."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject
from mlrs.exceptions import MlflowException

TYPE_CHECKING = False  # names below are for type checkers; importing typing costs ms
if TYPE_CHECKING:
    from typing import Any

    from mlrs.entities.run_data import RunData
    from mlrs.entities.run_info import RunInfo
    from mlrs.entities.run_inputs import RunInputs
    from mlrs.entities.run_outputs import RunOutputs


class Run(_MlflowObject):
    """A run: ``info`` (RunInfo), ``data`` (RunData), ``inputs`` and ``outputs``.

    Like MLflow's, two Run objects compare by identity.
    """

    __slots__ = ("_data", "_info", "_inputs", "_outputs")

    def __init__(
        self,
        run_info: RunInfo,
        run_data: RunData,
        run_inputs: RunInputs | None = None,
        run_outputs: RunOutputs | None = None,
    ) -> None:
        if run_info is None:
            raise MlflowException("run_info cannot be None")
        self._info = run_info
        self._data = run_data
        self._inputs = run_inputs
        self._outputs = run_outputs

    @property
    def info(self) -> RunInfo:
        """Metadata of the run: id, name, experiment, status, times, artifact root."""
        return self._info

    @property
    def data(self) -> RunData:
        """Latest metrics, params and tags of the run."""
        return self._data

    @property
    def inputs(self) -> RunInputs | None:
        """Datasets and models the run used."""
        return self._inputs

    @property
    def outputs(self) -> RunOutputs | None:
        """Models the run produced."""
        return self._outputs

    def to_dictionary(self) -> dict[str, Any]:
        """Nested dicts: ``info`` always, then ``data``, ``inputs``, ``outputs`` when present."""
        run_dict: dict[str, Any] = {"info": dict(self._info)}
        if self._data:
            run_dict["data"] = self._data.to_dictionary()
        if self._inputs:
            run_dict["inputs"] = self._inputs.to_dictionary()
        if self._outputs:
            run_dict["outputs"] = self._outputs.to_dictionary()
        return run_dict
