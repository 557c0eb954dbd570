"""`RunOperations`: what a logging call with `synchronous=False` returns."""

from __future__ import annotations

from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INTERNAL_ERROR

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mlrs._core import Store


class RunOperations:
    """Pending writes of one or more logging calls. Every mlrs logging call is queued for the
    background writer; `wait()` blocks until the store has committed them."""

    def __init__(
        self,
        operation_futures: list[Store] | None = None,
        failures: list[MlflowException] | None = None,
    ) -> None:
        self._stores = list(operation_futures or [])
        # Refusals of the calls themselves, raised by `wait()` as MLflow's async mode does.
        self._failures = list(failures or [])

    def wait(self) -> None:
        failures = list(self._failures)
        for store in self._stores:
            try:
                store.flush()
            except MlflowException as e:
                failures.append(e)
        if failures:
            raise MlflowException(
                "The following failures occurred while performing one or more async logging "
                f"operations: {failures!r}",
                INTERNAL_ERROR,
            )
