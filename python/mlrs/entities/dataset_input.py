"""``DatasetInput``: a dataset a run used, with the input's tags."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.entities.dataset import Dataset
    from mlrs.entities.input_tag import InputTag


class DatasetInput(_MlflowObject):
    """A ``Dataset`` and the ``InputTag`` list of its use by a run. Compares by value."""

    __slots__ = ("_dataset", "_tags")

    def __init__(self, dataset: Dataset, tags: list[InputTag] | None = None) -> None:
        self._dataset = dataset
        self._tags: list[InputTag] = tags or []

    @property
    def dataset(self) -> Dataset:
        """The dataset."""
        return self._dataset

    @property
    def tags(self) -> list[InputTag]:
        """Tags of this input, e.g. ``mlflow.data.context``."""
        return self._tags

    def _add_tag(self, tag: InputTag) -> None:
        self._tags.append(tag)

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return (self._dataset, self._tags) == (other._dataset, other._tags)
        return False

    def to_dictionary(self) -> dict[str, Any]:
        """``{"dataset": {...}, "tags": {key: value, ...}}``."""
        return {
            "dataset": self._dataset.to_dictionary(),
            "tags": {tag.key: tag.value for tag in self._tags},
        }
