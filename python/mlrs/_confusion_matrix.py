"""`mlrs.log_confusion_matrix`, an mlrs extension: a classifier's confusion matrix logged as a
figure and as a table of counts, from plain label sequences (no scikit-learn needed)."""

from __future__ import annotations

import os

from mlrs import _artifacts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


def confusion_counts(
    y_true: Sequence[Any], y_pred: Sequence[Any], labels: Sequence[Any] | None = None
) -> tuple[list[Any], Any]:
    """`(labels, counts)`: `counts[i][j]` is how many samples of true label `labels[i]` were
    predicted as `labels[j]`. Labels default to the sorted union of both sequences; samples
    whose labels are not in `labels` are left out."""
    import numpy as np

    truth, predicted = list(y_true), list(y_pred)
    if len(truth) != len(predicted):
        raise ValueError(
            f"y_true and y_pred must have the same length, got {len(truth)} and {len(predicted)}"
        )
    if labels is None:
        try:
            labels = sorted(set(truth) | set(predicted))
        except TypeError:  # labels of mixed types: keep first-seen order
            labels = list(dict.fromkeys(truth + predicted))
    labels = list(labels)
    if not labels:
        raise ValueError("y_true and y_pred are empty and no labels were given")
    index = {label: i for i, label in enumerate(labels)}
    if len(index) != len(labels):
        raise ValueError(f"labels must be unique, got {labels!r}")
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for actual, guess in zip(truth, predicted, strict=True):
        if actual in index and guess in index:
            counts[index[actual], index[guess]] += 1
    return labels, counts


def _figure(labels: list[Any], counts: Any, title: str) -> Any:
    from matplotlib.figure import Figure

    size = max(4.0, 0.6 * len(labels) + 2)
    figure = Figure(figsize=(size, size), layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(counts, cmap="Blues")
    figure.colorbar(image, ax=axes, shrink=0.8)
    names = [str(label) for label in labels]
    axes.set_xticks(range(len(names)), names, rotation=45, ha="right")
    axes.set_yticks(range(len(names)), names)
    axes.set_xlabel("Predicted label")
    axes.set_ylabel("True label")
    axes.set_title(title)
    threshold = counts.max() / 2 if counts.size else 0
    for i in range(len(names)):
        for j in range(len(names)):
            value = int(counts[i, j])
            axes.text(
                j,
                i,
                str(value),
                ha="center",
                va="center",
                color="white" if value > threshold else "black",
            )
    return figure


def log_confusion_matrix(
    y_true: Sequence[Any],
    y_pred: Sequence[Any],
    labels: Sequence[Any] | None = None,
    artifact_file: str = "confusion_matrix.png",
    *,
    table_file: str | None = None,
    title: str = "Confusion matrix",
    run_id: str | None = None,
) -> Any:
    """Logs a confusion matrix to the active run (or `run_id`), as an mlrs extension:

    - `artifact_file` (default `confusion_matrix.png`): a matplotlib heat map with the counts;
    - `table_file` (default: `artifact_file` with a `.json` extension): a table (`log_table`)
      with one row per (true label, predicted label) pair and its count, which `load_table`
      reads back.

    Returns the counts as a numpy array, `counts[i][j]` = samples of `labels[i]` predicted as
    `labels[j]`.
    """
    found, counts = confusion_counts(y_true, y_pred, labels)
    if table_file is None:
        table_file = os.path.splitext(artifact_file)[0] + ".json"
    store, run_id = _artifacts._target(run_id)
    _artifacts.log_figure_to(store, run_id, _figure(found, counts, title), artifact_file)
    table = {
        "true_label": [str(a) for a in found for _ in found],
        "predicted_label": [str(b) for _ in found for b in found],
        "count": [int(c) for c in counts.reshape(-1)],
    }
    _artifacts.log_table_to(store, run_id, table, table_file)
    return counts
