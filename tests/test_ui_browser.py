"""The web UI in a real browser: Debian's chromium driven by Playwright against `mlrs ui`.

A store made with mlrs (runs, a long series with a spike and non-finite values, artifacts, a
registered model) is served by a real `mlrs ui` subprocess on a free loopback port. Every page
loads with each non-loopback request blocked and recorded; a test fails if the page asked for one.
A screenshot of each page lands in tests/ui-screenshots/ (gitignored).
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import mlrs
from mlrs.entities import Metric, Param

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "python" / "mlrs" / "ui_assets"
SHOTS = Path(__file__).resolve().parent / "ui-screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root Chromium needs --no-sandbox; the rest keep it from calling Google's hosts at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

N_RUNS = 250
LONG_POINTS = 5000
SPIKE_STEP = 3333
SPIKE = 42.5

pytestmark = pytest.mark.slow


def _need_browser() -> Any:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make browser installs it as root)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright (requirements-dev.txt) is not installed")
    return sync_playwright


# ---------------------------------------------------------------------------------------------
# The fixture store


@dataclass
class Fixture:
    uri: str
    db: Path
    experiment_id: str
    long_run: str
    run_ids: list[str]
    losses: dict[str, float] = field(default_factory=dict)
    min_losses: dict[str, float] = field(default_factory=dict)


def _png() -> bytes:
    from PIL import Image

    img = Image.new("RGB", (64, 40), (30, 110, 200))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _make_store(base: Path) -> Fixture:
    db = base / "ui.db"
    uri = f"sqlite:///{db}"
    client = mlrs.MlflowClient(tracking_uri=uri, registry_uri=uri)
    exp = client.create_experiment("ui-fixture", artifact_location=str(base / "artifacts"))
    fx = Fixture(uri=uri, db=db, experiment_id=exp, long_run="", run_ids=[])
    t0 = int(time.time() * 1000) - 3_600_000
    for i in range(N_RUNS):
        run = client.create_run(exp, run_name=f"run-{i:03d}", start_time=t0 + i * 1000)
        rid = run.info.run_id
        fx.run_ids.append(rid)
        # loss ends at `last` but dips to `low` on the way (the "min" reducer sorts by the dip).
        last = 0.2 + (i * 37 % N_RUNS) / N_RUNS
        low = last - 0.15 if i % 7 == 0 else last
        steps = 20
        metrics = []
        for s in range(steps):
            v = last + (steps - 1 - s) * 0.01
            if s == 10:
                v = low
            metrics.append(Metric("loss", v, t0 + i * 1000 + s * 10, s))
            metrics.append(Metric("acc", 1 - v / 2, t0 + i * 1000 + s * 10, s))
        fx.losses[rid] = last
        fx.min_losses[rid] = min(m.value for m in metrics if m.key == "loss")
        client.log_batch(
            rid,
            metrics=metrics,
            params=[Param("lr", str(0.001 * (i + 1))), Param("opt", "adam" if i % 2 else "sgd")],
        )
        client.set_terminated(rid, end_time=t0 + i * 1000 + 60_000 * (1 + i % 5))

    long = client.create_run(exp, run_name="long-run", start_time=t0 - 10_000)
    lid = long.info.run_id
    fx.long_run = lid
    fx.run_ids.append(lid)
    batch: list[Metric] = []
    for s in range(LONG_POINTS):
        v = 1.0 / (1 + s / 500) + (0.02 if s % 2 else 0.0)
        if s == SPIKE_STEP:
            v = SPIKE
        if s == 10:
            v = float("nan")
        if s == 20:
            v = float("inf")
        batch.append(Metric("loss", v, t0 + s * 100, s))
        if len(batch) == 1000:
            client.log_batch(lid, metrics=batch)
            batch = []
    if batch:
        client.log_batch(lid, metrics=batch)
    long_values = [1.0 / (1 + s / 500) + (0.02 if s % 2 else 0.0) for s in range(LONG_POINTS)]
    fx.losses[lid] = long_values[-1]
    fx.min_losses[lid] = min(long_values)
    client.log_param(lid, "lr", "0.5")
    client.set_tag(lid, "team", "vision")
    client.log_text(lid, "".join(f"line {n}: training\n" for n in range(20000)), "logs/train.log")
    client.log_text(lid, "epoch,loss\n1,0.5\n2,0.25\n3,0.125\n", "tables/history.csv")
    client.log_dict(lid, {"accuracy": 0.93, "classes": ["cat", "dog"]}, "eval/summary.json")
    client.log_text(lid, "<html><body><h1>Report</h1></body></html>", "report.html")
    mlmodel = "artifact_path: model\nflavors:\n  python_function:\n    loader_module: x\n"
    client.log_text(lid, mlmodel, "model/MLmodel")
    png = base / "chart.png"
    png.write_bytes(_png())
    client.log_artifact(lid, str(png), "images")
    client.set_terminated(lid)
    client.create_registered_model("fixture-model", description="the model of the fixture")
    client.create_model_version("fixture-model", f"runs:/{lid}/model", run_id=lid)
    client.set_registered_model_alias("fixture-model", "champion", "1")
    return fx


# ---------------------------------------------------------------------------------------------
# The server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[str]
    output: list[str]
    drain: threading.Thread

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.drain.join(timeout=30)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def _start_server(uri: str) -> Server:
    port = _free_port()
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlrs", "ui", "--backend-store-uri", uri, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    # The command prints its URL before serving; wait for it, then for /api/health to answer.
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if proc.poll() is not None:
        pytest.fail(f"mlrs ui exited: {line}{proc.stdout.read()}")
    assert f":{port}" in line, line
    # Read the rest of its output as it comes, so a chatty server never blocks on a full pipe.
    output = [line]
    stdout = proc.stdout
    drain = threading.Thread(target=lambda: output.extend(stdout), daemon=True)
    drain.start()
    deadline = time.monotonic() + 60
    while True:
        try:
            _get_json(url + "/api/health")
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"mlrs ui did not answer at {url}: {''.join(output)}")
            time.sleep(0.05)
    return Server(url=url, proc=proc, output=output, drain=drain)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    if not (ASSETS / "index.html").exists():
        pytest.fail("the UI is not built: run `make ui`")
    return _make_store(tmp_path_factory.mktemp("ui-store"))


@pytest.fixture(scope="module")
def server(store: Fixture) -> Iterator[Server]:
    srv = _start_server(store.uri)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _need_browser()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    """A page in a new browser context whose non-loopback requests are aborted and recorded."""

    def __init__(self, browser: Any, base: str, width: int = 1400, height: int = 900) -> None:
        self.base = base
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.api: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "request",
            lambda r: self.api.append(r.url) if "/api/" in r.url else None,
        )
        self.page.set_default_timeout(20_000)

    def _route(self, route: Any) -> None:
        host = urllib.parse.urlsplit(route.request.url).hostname or ""
        if host in LOOPBACK:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def goto(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name: str, full_page: bool = True) -> Path:
        SHOTS.mkdir(exist_ok=True)
        out = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(out), full_page=full_page)
        return out

    def close(self) -> None:
        self.context.close()
        assert self.blocked == [], f"requests left the machine: {self.blocked}"
        assert self.errors == [], f"errors in the page: {self.errors}"


@pytest.fixture
def open_page(browser: Any, server: Server) -> Iterator[Any]:
    pages: list[Page] = []

    def make(width: int = 1400, height: int = 900) -> Page:
        p = Page(browser, server.url, width, height)
        pages.append(p)
        return p

    yield make
    for p in pages:
        p.close()


def _view(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _exp_url(fx: Fixture, state: dict[str, Any] | None = None) -> str:
    return f"/experiments/{fx.experiment_id}" + (f"?v={_view(state)}" if state else "")


# ---------------------------------------------------------------------------------------------


def test_bundle_is_small_and_local() -> None:
    if not (ASSETS / "index.html").exists():
        pytest.fail("the UI is not built: run `make ui`")
    total = 0
    for f in ASSETS.rglob("*"):
        if f.suffix in {".js", ".css", ".html"}:
            body = f.read_bytes()
            total += len(gzip.compress(body, 9))
            # No script, style sheet or font from elsewhere (the browser tests block and count
            # every request at run time; this catches a reference that no test page triggers).
            for needle in (b'src="http', b"url(http", b'href="http', b'import("http', b"fonts.g"):
                assert needle not in body, f"{f.name} refers to the network: {needle!r}"
    assert total <= 250_000, f"JS+CSS+HTML is {total} bytes gzipped"


def test_experiments_page(open_page: Any, store: Fixture) -> None:
    p = open_page()
    page = p.goto("/")
    page.get_by_role("link", name="ui-fixture").wait_for()
    p.shot("experiments")
    page.get_by_role("link", name="ui-fixture").click()
    page.wait_for_url(f"**/experiments/{store.experiment_id}*")
    page.locator(".tr").first.wait_for()


def test_runs_table_virtualized_paged_sorted(open_page: Any, store: Fixture) -> None:
    p = open_page()
    page = p.goto(_exp_url(store, {"c": ["m:last:loss", "p:lr"]}))
    info = page.locator(".table-info")
    page.wait_for_function("document.querySelector('.table-info')?.dataset.total > 0")
    assert info.get_attribute("data-total") == str(N_RUNS + 1)
    page.locator(".tr").first.wait_for()
    # Scroll to the last run: pages come in with the cursor token; the DOM stays small.
    scroller = page.locator("[data-role=runs-scroller]")
    scroller.wait_for()
    page.wait_for_function(
        """n => {
          const el = document.querySelector('[data-role=runs-scroller]');
          el.scrollTop = el.scrollHeight;
          return [...document.querySelectorAll('.tr')].some(r => r.dataset.index === String(n));
        }""",
        arg=N_RUNS,
    )
    assert page.locator(".tr").count() <= 80
    p.shot("runs-table-scrolled")

    # Sort by loss (last) ascending on the server: the first row is the smallest over all runs.
    page.locator(".th[data-sort='metrics.loss']").click()  # DESC first
    page.locator(".th[data-sort='metrics.loss']").click()  # then ASC
    page.wait_for_function("location.search.includes('v=')")
    want = min(store.losses, key=lambda r: store.losses[r])
    page.wait_for_function(
        "id => document.querySelector('.tr[data-index=\"0\"]')?.dataset.runId === id", arg=want
    )
    # The min reducer sorts by each run's dip, not its last value (#1422).
    page.locator("select[data-role=reducer]").select_option("min")
    want_min = min(store.min_losses, key=lambda r: store.min_losses[r])
    assert store.losses[want_min] != store.min_losses[want_min]
    page.wait_for_function(
        "id => document.querySelector('.tr[data-index=\"0\"]')?.dataset.runId === id",
        arg=want_min,
    )
    # After scrolling through every page and sorting again, the row count is unchanged (#5365).
    assert page.locator(".table-info").get_attribute("data-total") == str(N_RUNS + 1)


def test_shift_click_selects_a_range_and_charts_follow(open_page: Any, store: Fixture) -> None:
    p = open_page()
    page = p.goto(_exp_url(store, {"ch": [{"i": "c1", "k": ["loss"]}]}))
    page.locator(".tr[data-index='1'] input[type=checkbox]").click()
    page.locator(".tr[data-index='5'] input[type=checkbox]").click(modifiers=["Shift"])
    assert page.locator(".tr.selected").count() == 5
    page.wait_for_function(
        "document.querySelector('[data-chart=c1]')?.dataset.points === String(5 * 20)"
    )


def test_filter_grammar_and_inline_error(open_page: Any, store: Fixture, server: Server) -> None:
    p = open_page()
    page = p.goto(_exp_url(store))
    page.locator(".tr").first.wait_for()
    box = page.locator("[data-role=filter]")
    flt = "metrics.loss < 0.5 and params.opt = 'adam'"
    box.fill(flt)
    box.press("Enter")
    want = len(
        mlrs.MlflowClient(tracking_uri=store.uri).search_runs(
            [store.experiment_id], flt, max_results=10000
        )
    )
    page.wait_for_function(
        "n => document.querySelector('.table-info')?.dataset.total === String(n)", arg=want
    )
    rows_before = page.locator(".tr").count()
    assert rows_before > 0
    bad = "metrics.loss <"
    box.fill(bad)
    box.press("Enter")
    err = page.locator("[data-role=filter-error] .error")
    err.wait_for()
    q = urllib.parse.urlencode({"experiment_ids": store.experiment_id, "filter": bad})
    try:
        urllib.request.urlopen(f"{server.url}/api/runs?{q}", timeout=30)
        pytest.fail("a malformed filter was accepted")
    except urllib.error.HTTPError as e:
        message = json.loads(e.read())["message"]
    assert message in err.inner_text()
    assert page.locator(".tr").count() == rows_before  # the table is not cleared
    p.shot("filter-error")
    # Plain text searches run names.
    box.fill("run-00")
    box.press("Enter")
    page.wait_for_function("document.querySelector('.table-info')?.dataset.total === '10'")


def test_chart_draws_spike_and_zoom_refetches_raw(open_page: Any, store: Fixture) -> None:
    p = open_page()
    state = {"r": [store.long_run], "ch": [{"i": "c1", "k": ["loss"], "w": 2}]}
    page = p.goto(_exp_url(store, state))
    card = page.locator("[data-chart=c1]")
    page.wait_for_function("document.querySelector('[data-chart=c1]')?.dataset.points > 0")
    assert card.locator("canvas").count() >= 1
    assert card.get_attribute("data-raw") == "0"  # 5000 points over a few hundred pixels: M4
    assert float(card.get_attribute("data-ymax") or "nan") == SPIKE  # the spike survives
    assert int(card.get_attribute("data-nonfinite") or 0) >= 2  # NaN and +Inf are marked
    fetches = int(card.get_attribute("data-fetches") or 0)
    p.shot("chart-m4")
    # Drag-zoom over a narrow band: the chart refetches that range and gets every raw point.
    over = card.locator(".u-over")
    bb = over.bounding_box()
    assert bb is not None
    y = bb["y"] + bb["height"] / 2
    page.mouse.move(bb["x"] + bb["width"] * 0.60, y)
    page.mouse.down()
    page.mouse.move(bb["x"] + bb["width"] * 0.63, y, steps=5)
    page.mouse.up()
    page.wait_for_function(
        "n => { const c = document.querySelector('[data-chart=c1]');"
        " return +c.dataset.fetches > n && !c.dataset.loading && c.dataset.raw === '1'; }",
        arg=fetches,
    )
    assert "z" in json.dumps(_state_of(page.url))
    p.shot("chart-zoomed")


def _state_of(url: str) -> dict[str, Any]:
    v = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("v", [""])[0]
    if not v:
        return {}
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(v + "=" * (-len(v) % 4)))
    return decoded


def _snapshot(page: Any) -> dict[str, Any]:
    snap: dict[str, Any] = page.evaluate(
        """() => ({
          filter: document.querySelector('[data-role=filter]').value,
          sorted: [...document.querySelectorAll('.th.sorted')].map(e => e.textContent),
          heads: [...document.querySelectorAll('.th')].map(e => e.dataset.sort || ''),
          rows: [...document.querySelectorAll('.tr')]
            .sort((a, b) => a.dataset.index - b.dataset.index)
            .slice(0, 10).map(r => r.dataset.runId),
          selected: [...document.querySelectorAll('.tr.selected')].map(r => r.dataset.runId),
          charts: [...document.querySelectorAll('[data-chart]')].map(c => ({
            id: c.dataset.chart,
            title: c.querySelector('.card-title').textContent,
            x: c.querySelector('[data-role=x]').value,
            logy: c.querySelector('[data-role=logy]').checked,
            smooth: c.querySelector('[data-role=smooth]').value,
            cls: c.className,
          })),
        })"""
    )
    return snap


def test_charts_fetch_when_they_come_into_view(open_page: Any, store: Fixture) -> None:
    p = open_page()
    charts = [{"i": f"k{i}", "k": ["loss" if i % 2 else "acc"]} for i in range(18)]
    page = p.goto(_exp_url(store, {"ch": charts}))
    page.wait_for_function("document.querySelector('[data-chart=k0]')?.dataset.points > 0")
    last = page.locator("[data-chart=k17]")
    assert last.get_attribute("data-pending") == "1"
    assert len([u for u in p.api if "/api/series" in u]) < 18
    last.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('[data-chart=k17]')?.dataset.points > 0")


def test_url_restores_the_view_in_a_fresh_context(open_page: Any, store: Fixture) -> None:
    p = open_page()
    page = p.goto(_exp_url(store, {"c": ["m:max:acc"], "ch": [{"i": "c1", "k": ["loss", "acc"]}]}))
    page.locator(".tr").first.wait_for()
    box = page.locator("[data-role=filter]")
    box.fill("params.opt = 'sgd'")
    box.press("Enter")
    page.wait_for_function("document.querySelector('.table-info')?.dataset.total === '125'")
    page.locator(".th[data-sort='max(metrics.acc)']").click()
    page.locator(".th.sorted[data-sort='max(metrics.acc)']").wait_for()
    page.wait_for_function("!document.querySelector('.runs-table').dataset.loading")
    page.locator(".tr[data-index='0'] input[type=checkbox]").click()
    page.locator("[data-chart=c1] [data-role=logy]").check()
    page.locator("[data-chart=c1] [data-role=x]").select_option("relative")
    page.locator("[data-chart=c1] [data-role=smooth]").fill("0.6")
    page.locator("[data-chart=c1] [data-role=smooth]").dispatch_event("change")
    page.wait_for_function("document.querySelector('[data-chart=c1]')?.dataset.points > 0")
    page.wait_for_function("document.querySelectorAll('.tr.selected').length === 1")
    before = _snapshot(page)
    url = page.url
    assert len(url) < 2000

    q = open_page()
    fresh = q.page
    fresh.goto(url)
    fresh.wait_for_function("document.querySelectorAll('.tr.selected').length === 1")
    fresh.wait_for_function("document.querySelector('[data-chart=c1]')?.dataset.points > 0")
    assert _snapshot(fresh) == before
    q.shot("view-restored")


def test_saved_view_round_trips_through_experiment_tags(open_page: Any, store: Fixture) -> None:
    p = open_page()
    page = p.goto(_exp_url(store, {"f": "params.opt = 'adam'", "ch": [{"i": "s1", "k": ["acc"]}]}))
    page.locator(".tr").first.wait_for()
    page.on("dialog", lambda d: d.accept("adam only"))
    page.locator("[data-role=save-view]").click()
    page.wait_for_function(
        "[...document.querySelectorAll('[data-role=views] option')]"
        ".some(o => o.value === 'adam only')"
    )
    exp = mlrs.MlflowClient(tracking_uri=store.uri).get_experiment(store.experiment_id)
    saved = json.loads(exp.tags["mlrs.view.adam only"])
    assert saved["f"] == "params.opt = 'adam'"

    q = open_page()
    fresh = q.goto(f"/experiments/{store.experiment_id}?view=adam%20only")
    fresh.wait_for_function("document.querySelector('[data-role=filter]').value.includes('adam')")
    fresh.locator("[data-chart=s1]").wait_for()


def test_cursor_sync_and_hover_highlight(open_page: Any, store: Fixture) -> None:
    p = open_page()
    runs = store.run_ids[N_RUNS - 3 : N_RUNS]  # the newest: the table's first rows
    state = {"r": runs, "ch": [{"i": "a", "k": ["loss"]}, {"i": "b", "k": ["acc"]}]}
    page = p.goto(_exp_url(store, state))
    for c in ("a", "b"):
        page.wait_for_function(f"document.querySelector('[data-chart={c}]')?.dataset.points > 0")
    over = page.locator("[data-chart=a] .u-over")
    bb = over.bounding_box()
    assert bb is not None
    page.mouse.move(bb["x"] + bb["width"] * 0.5, bb["y"] + bb["height"] * 0.5)
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-chart=a]').dataset.cursorLeft;"
        " const b = document.querySelector('[data-chart=b]').dataset.cursorLeft;"
        " return a && +a > 0 && a === b; }"
    )
    tip = page.locator("[data-chart=a] .tip")
    assert tip.is_visible()
    assert tip.locator(".tip-row").count() == 3  # every run's value at the cursor
    p.shot("chart-tooltip")
    # Hovering near a line highlights its run in the table and the other chart: walk down the
    # plot until a line is close enough to be focused.
    found = ""
    for i in range(1, 60):
        page.mouse.move(bb["x"] + bb["width"] * 0.5, bb["y"] + bb["height"] * i / 60)
        found = page.locator("[data-chart=b]").get_attribute("data-highlight") or ""
        if found:
            break
    assert found in runs
    assert page.locator(f".tr.hover[data-run-id='{found}']").count() == 1
    # Hovering a table row highlights its run in every chart.
    page.locator(f".tr[data-run-id='{runs[1]}']").hover()
    for c in ("a", "b"):
        page.wait_for_function(
            f"id => document.querySelector('[data-chart={c}]').dataset.highlight === id",
            arg=runs[1],
        )


def test_live_run_points_appear(open_page: Any, store: Fixture) -> None:
    client = mlrs.MlflowClient(tracking_uri=store.uri)
    live_exp = client.create_experiment("live")  # its own experiment: the others' counts stay
    run = client.create_run(live_exp, run_name="live-run")
    rid = run.info.run_id
    t0 = int(time.time() * 1000)
    client.log_batch(rid, metrics=[Metric("loss", 1.0 / (s + 1), t0 + s, s) for s in range(10)])
    p = open_page()
    state = {"r": [rid], "ch": [{"i": "live", "k": ["loss"]}]}
    page = p.goto(f"/experiments/{live_exp}?v={_view(state)}")
    page.wait_for_function("document.querySelector('[data-chart=live]')?.dataset.points === '10'")
    client.log_batch(rid, metrics=[Metric("loss", 1.0 / (s + 1), t0 + s, s) for s in range(10, 25)])
    page.wait_for_function("document.querySelector('[data-chart=live]')?.dataset.points === '25'")
    tails = [u for u in p.api if "after_step=" in u]
    assert tails, "new points came without an incremental request"
    client.set_terminated(rid)
    p.shot("live")


def test_run_page_and_artifact_previews(open_page: Any, store: Fixture) -> None:
    p = open_page()
    page = p.goto(f"/runs/{store.long_run}")
    page.locator("[data-role=run-name]", has_text="long-run").wait_for()
    assert "0.5" in page.locator("[data-role=params]").inner_text()
    assert "team" in page.locator("[data-role=tags]").inner_text()
    metrics = page.locator("[data-role=metrics]").inner_text()
    assert "+Inf" in metrics  # the long loss's max: +Inf is a value, not dropped
    page.get_by_role("link", name="fixture-model").wait_for()  # its registered version
    tree = page.locator("[data-role=artifact-tree]")
    preview = page.locator("[data-role=artifact-preview]")

    def open_file(*parts: str) -> None:
        for d in parts[:-1]:
            tree.get_by_role("button", name=f"▸ {d}/").click()
        tree.get_by_role("button", name=parts[-1], exact=True).click()

    open_file("logs", "train.log")
    preview.get_by_text("line 0: training").wait_for()
    assert "HTTP Range" in preview.inner_text()  # a big log comes a chunk at a time
    assert "line 19999" not in preview.inner_text()
    open_file("tables", "history.csv")
    preview.locator("td", has_text="0.125").wait_for()
    open_file("eval", "summary.json")
    preview.get_by_text('"accuracy": 0.93').wait_for()
    open_file("model", "MLmodel")
    preview.get_by_text("loader_module").wait_for()
    open_file("images", "chart.png")
    page.wait_for_function(
        "document.querySelector('[data-role=artifact-preview] img')?.naturalWidth === 64"
    )
    open_file("report.html")
    frame = preview.locator("iframe")
    frame.wait_for()
    sandbox = frame.get_attribute("sandbox")
    assert sandbox is not None
    assert "allow-same-origin" not in sandbox
    p.shot("run")


def test_rename_tag_delete_as_mlflows_ui_allows(open_page: Any, store: Fixture) -> None:
    client = mlrs.MlflowClient(tracking_uri=store.uri)
    exp = client.create_experiment("edits")
    rid = client.create_run(exp, run_name="before").info.run_id
    client.set_terminated(rid)
    p = open_page()
    page = p.goto(f"/runs/{rid}")
    page.locator("[data-role=run-name]", has_text="before").wait_for()
    answers = iter(["after", "stage", "prod"])
    page.on("dialog", lambda d: d.accept(next(answers, "")) if d.type == "prompt" else d.accept())
    page.get_by_role("button", name="Rename").click()
    page.locator("[data-role=run-name]", has_text="after").wait_for()
    page.get_by_role("button", name="Add tag").click()
    page.locator("[data-role=tags]", has_text="prod").wait_for()
    run = client.get_run(rid)
    assert run.info.run_name == "after"
    assert run.data.tags["stage"] == "prod"
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(f"**/experiments/{exp}*")
    assert client.get_run(rid).info.lifecycle_stage == "deleted"


def test_models_pages(open_page: Any, store: Fixture) -> None:
    p = open_page()
    page = p.goto("/models")
    page.get_by_role("link", name="fixture-model").wait_for()
    assert "@champion" in page.locator("[data-role=models]").inner_text()
    p.shot("models")
    page.get_by_role("link", name="fixture-model").click()
    page.locator("[data-role=versions] td", has_text="v1").first.wait_for()
    assert "version 1" in page.locator("[data-role=aliases]", has_text="@champion").inner_text()
    p.shot("model")


def test_readme_screenshot(open_page: Any, store: Fixture) -> None:
    """The picture in the README: the experiment page with a few runs charted."""
    p = open_page(1200, 900)
    page = p.page
    state = {
        "c": ["m:last:loss", "m:min:loss", "p:lr", "p:opt"],
        "r": store.run_ids[N_RUNS - 5 : N_RUNS],
        "ch": [
            {"i": "r1", "k": ["loss"], "s": 0.5},
            {"i": "r2", "k": ["acc"], "ly": 1},
            {"i": "r3", "k": ["loss", "acc"]},
        ],
    }
    page.goto(p.base + _exp_url(store, state))
    for c in ("r1", "r2", "r3"):
        page.wait_for_function(f"document.querySelector('[data-chart={c}]')?.dataset.points > 0")
    page.locator(".tr").first.wait_for()
    page.wait_for_function("!document.querySelector('.runs-table').dataset.loading")
    out = p.shot("readme", full_page=False)
    # A palette of 128 colours keeps the picture for docs/ui.png small (about a third).
    from PIL import Image

    with Image.open(out) as img:
        img.convert("RGB").quantize(colors=128).save(out, optimize=True)
    assert 10_000 < out.stat().st_size < 150_000


# ---------------------------------------------------------------------------------------------
# 10,000 runs (ui-anchors.md §6, requirement 2)

BIG = 10_000


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str, str]]:
    """10,000 runs with a `loss` and an `lr`; yields the server, experiment and top-loss run."""
    base = tmp_path_factory.mktemp("ui-big")
    uri = f"sqlite:///{base / 'big.db'}"
    client = mlrs.MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("big")
    t0 = int(time.time() * 1000) - 86_400_000
    top = ("", -1.0)
    for i in range(BIG):
        rid = client.create_run(exp, run_name=f"r{i:05d}", start_time=t0 + i).info.run_id
        loss = (i * 7919 % BIG) / BIG
        if loss > top[1]:
            top = (rid, loss)
        client.log_batch(rid, metrics=[Metric("loss", loss, t0, 0)], params=[Param("lr", str(i))])
    srv = _start_server(uri)
    yield srv, exp, top[0]
    srv.stop()


def test_runs_table_at_10000_runs(browser: Any, big: tuple[Server, str, str]) -> None:
    srv, exp, top = big
    p = Page(browser, srv.url)
    try:
        page = p.goto(f"/experiments/{exp}?v={_view({'c': ['m:last:loss', 'p:lr']})}")
        page.locator(".tr").first.wait_for()
        assert page.locator(".table-info").get_attribute("data-total") == str(BIG)
        assert page.locator(".tr").count() <= 80
        # To the last run: pages arrive by cursor token, and the DOM keeps only what is in view.
        page.wait_for_function(
            """n => {
              const el = document.querySelector('[data-role=runs-scroller]');
              el.scrollTop = el.scrollHeight;
              return [...document.querySelectorAll('.tr')].some(r => r.dataset.index === String(n));
            }""",
            arg=BIG - 1,
            timeout=120_000,
        )
        assert page.locator(".tr").count() <= 80
        assert page.locator(".tr[data-index='9999'] .name").inner_text() == "r00000"
        # Sorting after every page was loaded: done by the server over all runs, count unchanged.
        page.locator(".th[data-sort='metrics.loss']").click()
        page.wait_for_function(
            "id => document.querySelector('.tr[data-index=\"0\"]')?.dataset.runId === id", arg=top
        )
        assert page.locator(".table-info").get_attribute("data-total") == str(BIG)
        assert page.locator(".tr").count() <= 80
        p.shot("runs-10000")
    finally:
        p.close()


# ---------------------------------------------------------------------------------------------
# Over a tracking server

_REMOTE_FIXTURE = """
import json, math, sys, uuid
import mlrs
from mlrs import MlflowClient
from mlrs.entities import Metric

mlrs.set_tracking_uri(sys.argv[1])
exp = mlrs.create_experiment(f"ui-browser-remote-{uuid.uuid4().hex[:8]}")
mlrs.set_experiment(experiment_id=exp)
runs = []
for i in range(5):
    with mlrs.start_run(run_name=f"r{i}") as run:
        mlrs.log_param("lr", str(i / 10))
        for step in range(10):
            mlrs.log_metric("loss", 5.0 - i - step / 10, step=step)
        runs.append(run.info.run_id)
with mlrs.start_run(run_name="long") as run:
    MlflowClient().log_batch(run.info.run_id, metrics=[
        Metric("loss", %(spike)r if s == %(spike_step)d else math.sin(s / 100.0), 1000 + s, s)
        for s in range(%(points)d)
    ])
    runs.append(run.info.run_id)
mlrs.flush()
print(json.dumps({"experiment_id": exp, "runs": runs}))
"""


def test_runs_table_and_chart_over_a_tracking_server(
    browser: Any, tracking_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not (ASSETS / "index.html").exists():
        pytest.fail("the UI is not built: run `make ui`")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(MLRS_CAPTURE_ENV="0", MLRS_SPOOL_DIR=str(tmp_path / "spool"))
    script = _REMOTE_FIXTURE % {"spike": SPIKE, "spike_step": SPIKE_STEP, "points": LONG_POINTS}
    made = subprocess.run(
        [sys.executable, "-c", script, tracking_server],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    fx = json.loads(made.stdout)
    monkeypatch.setenv("MLRS_SPOOL_DIR", str(tmp_path / "ui-spool"))
    srv = _start_server(tracking_server)
    try:
        p = Page(browser, srv.url)
        try:
            long_run = fx["runs"][-1]
            state = {
                "c": ["m:last:loss", "p:lr"],
                "r": [long_run],
                "ch": [{"i": "c1", "k": ["loss"], "w": 2}],
            }
            page = p.goto(f"/experiments/{fx['experiment_id']}?v={_view(state)}")
            # The runs table lists the server's runs (one page: the total is known).
            page.wait_for_function("document.querySelector('.table-info')?.dataset.total > 0")
            assert page.locator(".table-info").get_attribute("data-total") == "6"
            shown = page.eval_on_selector_all(".tr", "rows => rows.map(r => r.dataset.runId)")
            assert sorted(shown) == sorted(fx["runs"])
            # The chart draws the long run's history, reduced by M4 with its spike kept.
            card = page.locator("[data-chart=c1]")
            page.wait_for_function("document.querySelector('[data-chart=c1]')?.dataset.points > 0")
            assert card.locator("canvas").count() >= 1
            assert card.get_attribute("data-raw") == "0"
            assert float(card.get_attribute("data-ymax") or "nan") == SPIKE
            assert page.locator("#store").get_attribute("data-backend") == "server"
            p.shot("remote-runs-and-chart")
        finally:
            p.close()
    finally:
        srv.stop()
