"""mlrs's pytest plugin, registered through the `pytest11` entry point and inert until used.

- The `mlrs_tracking` fixture gives a test its own tracking store, registry and artifact root
  under `tmp_path`, with a clean fluent state: no active run, no chosen experiment, no `MLFLOW_*`
  variable from outside. Afterwards, runs still open are ended (FAILED when the test failed),
  the store is closed and the `MLFLOW_*` variables are restored.
- `mlrs_isolate = true` in the ini file gives every test that fixture; `@pytest.mark.mlrs` gives
  it to the marked tests, classes or modules.
- `--mlrs-record URI` logs each test as a run into the store at URI (outcome, duration, and
  what the test logs through the `mlrs_record` fixture), so a model-quality suite can be
  compared across commits in `mlrs ui`.

Nothing here imports pytest at `import mlrs`; this module is loaded by pytest only.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator, Mapping, Sequence

    from mlrs.entities import Run
    from mlrs.tracking import MlflowClient

_ISOLATE_INI = "mlrs_isolate"
_FIXTURE = "mlrs_tracking"
_SESSION_ENV = "MLRS_PYTEST_SESSION"
_phase_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mlrs", "mlrs experiment tracking")
    group.addoption(
        "--mlrs-record",
        metavar="URI",
        default=None,
        help="log each test as an mlrs run into the tracking URI (e.g. sqlite:///quality.db)",
    )
    group.addoption(
        "--mlrs-record-experiment",
        metavar="NAME",
        default="pytest",
        help="experiment of the runs --mlrs-record logs (default: pytest)",
    )
    parser.addini(
        _ISOLATE_INI,
        type="bool",
        default=False,
        help="give every test an isolated mlrs tracking store (the mlrs_tracking fixture)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "mlrs: give the test an isolated mlrs tracking store (mlrs_tracking fixture)"
    )
    uri = config.getoption("mlrs_record")
    if uri:
        # One id for the whole session, shared with pytest-xdist's workers (they inherit it).
        os.environ.setdefault(_SESSION_ENV, uuid.uuid4().hex)
        config.pluginmanager.register(
            _Recorder(uri, config.getoption("mlrs_record_experiment")), "mlrs-recorder"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    everywhere = config.getini(_ISOLATE_INI)
    for item in items:
        if not (everywhere or item.get_closest_marker("mlrs")):
            continue
        names = getattr(item, "fixturenames", None)
        if names is not None and _FIXTURE not in names:
            names.insert(0, _FIXTURE)  # first, so the test's own fixtures see the clean state


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_phase_reports, {})[report.when] = report
    return report


def _test_failed(item: pytest.Item) -> bool:
    reports = item.stash.get(_phase_reports, {})
    return any(r.failed for r in reports.values())


class Tracking:
    """What `mlrs_tracking` gives a test: where its isolated store lives, a client of it, and
    the assertion helpers of `mlrs.testing` bound to it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db_path = root / "mlflow.db"
        self.artifact_root = root / "mlruns"
        self.tracking_uri = f"sqlite:///{self.db_path}"
        self.registry_uri = self.tracking_uri
        self._client: MlflowClient | None = None

    @property
    def client(self) -> MlflowClient:
        if self._client is None:
            from mlrs.tracking import MlflowClient

            self._client = MlflowClient(self.tracking_uri, self.registry_uri)
        return self._client

    def runs(self, experiment_name: str | None = None) -> list[Run]:
        """Every run of the store (of one experiment when named), oldest first."""
        from mlrs.entities import ViewType

        client = self.client
        if experiment_name is None:
            ids = [e.experiment_id for e in client.search_experiments(ViewType.ALL)]
        else:
            experiment = client.get_experiment_by_name(experiment_name)
            ids = [] if experiment is None else [experiment.experiment_id]
        found: list[Run] = []
        token = None
        while ids:
            page = client.search_runs(
                ids, run_view_type=ViewType.ALL, order_by=["start_time ASC"], page_token=token
            )
            found.extend(page)
            token = page.token
            if not token:
                break
        return found

    def only_run(self) -> Run:
        """The one run of the store; fails unless there is exactly one."""
        runs = self.runs()
        if len(runs) != 1:
            raise AssertionError(f"expected exactly one run, found {len(runs)}")
        return runs[0]

    def assert_run(
        self,
        run: Run | str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        status: str | None = None,
        exact: bool = False,
    ) -> Run:
        """`mlrs.testing.assert_run` on this store; without `run`, on its only run."""
        from mlrs.testing import assert_run

        target = self.only_run() if run is None else run
        return assert_run(
            target,
            params=params,
            metrics=metrics,
            tags=tags,
            status=status,
            exact=exact,
            tracking_uri=self.tracking_uri,
        )

    def assert_metric_history(
        self, run: Run | str, key: str, values: Sequence[Any], steps: Sequence[int] | None = None
    ) -> None:
        from mlrs.testing import assert_metric_history

        assert_metric_history(run, key, values, steps, tracking_uri=self.tracking_uri)


def _mlflow_variables() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("MLFLOW_")}


@pytest.fixture
def mlrs_tracking(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tracking]:
    """An isolated mlrs tracking store, registry and artifact root under `tmp_path`, set as
    the process's tracking URI, with no active run, no chosen experiment and no `MLFLOW_*`
    variable from outside; runs left open end afterwards (FAILED if the test failed)."""
    from mlrs import _fluent, _runtime

    outside = _mlflow_variables()
    for name in outside:
        del os.environ[name]
    _fluent._clear_state("FINISHED")
    _runtime.forget_uris()
    tracking = Tracking(tmp_path / "mlrs")
    tracking.root.mkdir(exist_ok=True)
    db = str(tracking.db_path)
    _runtime._artifact_roots[db] = str(tracking.artifact_root)
    _runtime._scratch.add(db)  # thrown away with tmp_path: no fsync needed
    _runtime.set_tracking_uri(tracking.tracking_uri)
    try:
        yield tracking
    finally:
        status = "FAILED" if _test_failed(request.node) else "FINISHED"
        try:
            _fluent._clear_state(status)
        finally:
            from mlrs import _environment

            _environment.wait()
            _runtime.forget_uris()
            tracking._client = None
            for store in _runtime.open_stores():
                if store.location == db:
                    _runtime.close_store(store)
            _runtime._artifact_roots.pop(db, None)
            _runtime._scratch.discard(db)
            for name in _mlflow_variables():
                del os.environ[name]
            os.environ.update(outside)


class Record:
    """What `mlrs_record` gives a test: metrics, params and tags for the run that
    `--mlrs-record` logs for it (kept and ignored when recording is off)."""

    def __init__(self) -> None:
        self.metrics: list[tuple[str, float, int]] = []
        self.params: dict[str, str] = {}
        self.tags: dict[str, str] = {}

    def log_metric(self, key: str, value: float, step: int = 0) -> None:
        self.metrics.append((key, float(value), int(step)))

    def log_metrics(self, metrics: Mapping[str, float], step: int = 0) -> None:
        for key, value in metrics.items():
            self.log_metric(key, value, step)

    def log_param(self, key: str, value: Any) -> None:
        self.params[key] = str(value)

    def set_tag(self, key: str, value: Any) -> None:
        self.tags[key] = str(value)


_records = pytest.StashKey[Record]()


@pytest.fixture
def mlrs_record(request: pytest.FixtureRequest) -> Record:
    """Metrics, params and tags for the run `--mlrs-record` logs for this test."""
    record = Record()
    request.node.stash[_records] = record
    return record


class _Recorder:
    """Logs each test as a run: its outcome and duration and what it put in `mlrs_record`.
    Runs in the process that runs the tests (an xdist worker; not the controller)."""

    def __init__(self, uri: str, experiment: str) -> None:
        self.uri = uri
        self.experiment = experiment
        self.active = True
        self._client: MlflowClient | None = None
        self._experiment_id: str | None = None
        self._context: dict[str, str] = {}

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # pytest-xdist's controller runs no test: its workers record.
        self.active = not session.config.pluginmanager.hasplugin("dsession")

    def _target(self) -> tuple[MlflowClient, str]:
        if self._client is None or self._experiment_id is None:
            from mlrs import _context
            from mlrs.tracking import MlflowClient

            client = MlflowClient(self.uri)
            experiment = client.get_experiment_by_name(self.experiment)
            if experiment is None:
                try:
                    experiment_id = client.create_experiment(self.experiment)
                except Exception:  # another worker created it first
                    found = client.get_experiment_by_name(self.experiment)
                    if found is None:
                        raise
                    experiment_id = found.experiment_id
            else:
                experiment_id = experiment.experiment_id
            self._context = {
                k: v
                for k, v in _context.resolve_tags({}).items()
                if k.startswith("mlflow.source.git") or k == "mlflow.user"
            }
            self._client, self._experiment_id = client, experiment_id
        return self._client, self._experiment_id

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._client is not None:
            from mlrs import _runtime

            _runtime.close_store(self._client._store)
            self._client = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        started = time.time()
        result = yield
        if self.active:
            self._log(item, started)
        return result

    def _log(self, item: pytest.Item, started: float) -> None:
        from mlrs.entities import Metric, Param

        reports = item.stash.get(_phase_reports, {})
        if not reports:
            return
        outcome = _outcome(reports)
        record = item.stash.get(_records, None) or Record()
        client, experiment_id = self._target()
        tags = {
            **self._context,
            "mlflow.runName": item.nodeid[:250],
            "pytest.nodeid": item.nodeid,
            "pytest.outcome": outcome,
            "pytest.session": os.environ.get(_SESSION_ENV, ""),
            **record.tags,
        }
        start_ms = int(started * 1000)
        run = client.create_run(experiment_id, start_time=start_ms, tags=tags)
        run_id = run.info.run_id
        call = reports.get("call")
        duration = sum(r.duration for r in reports.values())
        metrics = [Metric("pytest.duration_s", duration, start_ms, 0)]
        if call is not None:
            metrics.append(Metric("pytest.call_duration_s", call.duration, start_ms, 0))
        metrics.extend(Metric(k, v, start_ms, step) for k, v, step in record.metrics)
        params = [Param(k, v) for k, v in record.params.items()]
        client.log_batch(run_id, metrics=metrics, params=params)
        status = "FAILED" if outcome in ("failed", "error") else "FINISHED"
        client.set_terminated(run_id, status, end_time=start_ms + int(duration * 1000))


def _outcome(reports: dict[str, pytest.TestReport]) -> str:
    call = reports.get("call")
    for when in ("setup", "teardown"):
        report = reports.get(when)
        if report is not None and report.failed:
            return "error"
    if call is None:
        setup = reports.get("setup")
        return "skipped" if setup is not None and setup.skipped else "error"
    if hasattr(call, "wasxfail"):
        return "xfailed" if call.skipped else "xpassed"
    return call.outcome
