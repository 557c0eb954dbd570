// The experiment page: filter box, runs table, charts. Its whole state lives in the URL (`?v=`),
// and named views are saved through the API as experiment tags.
import { get, qs, request, searchRuns, type Experiment, type Run } from "./api";
import { ChartCard, type ChartHost, type ChartRun } from "./chart";
import { assignColors } from "./colors";
import { clear, errorBox, h, navigate } from "./dom";
import { completions, toServerFilter } from "./filter";
import { startPolling } from "./live";
import { RunsTable, type TableHost } from "./runstable";
import { decodeState, encodeState, fromCompact, newChart, toCompact, type Column, type ViewState } from "./state";

/** Charts show the selected runs, or else this many of the table's first rows. */
const DEFAULT_CHARTED = 10;
/** Charts made for a new view, one per metric key; more are added by hand. */
const AUTO_CHARTS = 12;

interface Keys {
  metrics: string[];
  params: string[];
  tags: string[];
}

export function experimentPage(root: HTMLElement, idsText: string, params: URLSearchParams): () => void {
  const ids = idsText.split(",").filter(Boolean);
  const explicit = params.has("v");
  let state: ViewState = decodeState(params.get("v"));
  let keys: Keys = { metrics: [], params: [], tags: [] };
  const disposers: (() => void)[] = [];
  let charts: ChartCard[] = [];
  let chartedIds = "";

  const titleEl = h("h1", {}, `Experiment ${ids.join(", ")}`);
  const filterInput = h("input", {
    type: "search",
    class: "filter",
    placeholder: "metrics.loss < 0.5 and params.optimizer = 'adam'   (plain text matches run names)",
    value: state.filter,
    "data-role": "filter",
    spellcheck: false,
  });
  const filterError = h("div", { class: "filter-error", "data-role": "filter-error" });
  // Autocomplete of the keys that occur in these experiments, for the clause being typed.
  const suggest = h("datalist", { id: "filter-keys" });
  filterInput.setAttribute("list", "filter-keys");
  filterInput.addEventListener("input", () => {
    clear(suggest);
    for (const c of completions(filterInput.value, keys)) suggest.append(h("option", { value: c }));
  });
  const lifecycle = h("select", { "data-role": "lifecycle" });
  for (const v of ["active", "deleted", "all"]) lifecycle.append(h("option", { value: v, selected: v === state.lifecycle }, v));
  const viewsSel = h("select", { "data-role": "views", title: "saved views" });
  const chartsEl = h("div", { class: "charts", "data-role": "charts" });
  const chartsInfo = h("div", { class: "charts-info" });
  const picker = h("div", { class: "picker", hidden: true });

  const writeUrl = () => {
    const v = encodeState(state);
    const url = location.pathname + (v ? `?v=${v}` : "");
    if (url !== location.pathname + location.search) history.replaceState(null, "", url);
  };

  const colors = () => {
    const ids = [...new Set([...state.selected, ...table.rows.map((r) => r.run_id)])];
    return assignColors(ids, state.colors);
  };
  let colorMap = new Map<string, string>();

  const tableHost: TableHost = {
    experimentIds: ids,
    filter: () => toServerFilter(state.filter),
    order: () => state.order,
    lifecycle: () => state.lifecycle,
    columns: () => state.columns,
    selected: () => new Set(state.selected),
    hidden: () => new Set(state.hidden),
    color: (id) => colorMap.get(id) ?? assignColors([id], state.colors).get(id)!,
    setOrder: (o) => {
      state.order = o;
      writeUrl();
      void table.reload();
    },
    setColumns: (cols) => {
      state.columns = cols;
      writeUrl();
      void table.reload();
    },
    setSelected: (sel) => {
      state.selected = sel;
      writeUrl();
      table.refreshSelection();
      chartsForRuns();
    },
    toggleHidden: (id) => {
      state.hidden = state.hidden.includes(id) ? state.hidden.filter((x) => x !== id) : [...state.hidden, id];
      writeUrl();
      table.refreshSelection();
      chartsForRuns();
    },
    setColor: (id, c) => {
      state.colors = { ...state.colors, [id]: c };
      writeUrl();
      colorMap = colors();
      table.refreshSelection();
      chartsForRuns(true);
    },
    loaded: () => {
      colorMap = colors();
      chartsForRuns();
      const missing = state.selected.filter((id) => !runInfo(id));
      if (missing.length) void lookUp(missing);
    },
    error: (e) => {
      clear(filterError);
      if (e) filterError.append(errorBox(e));
    },
  };
  const table = new RunsTable(tableHost);
  disposers.push(() => table.destroy());

  // Charted runs that the table has not loaded (another page, another sort) are looked up once.
  const known = new Map<string, Run>();
  let lookingUp = false;
  const lookUp = async (ids: string[]) => {
    if (lookingUp || !ids.length) return;
    lookingUp = true;
    try {
      const page = await searchRuns({
        experimentIds: ids.length ? tableHost.experimentIds : [],
        filter: `attributes.run_id IN (${ids.slice(0, 1000).map((x) => `'${x}'`).join(",")})`,
        orderBy: "",
        view: "all",
        maxResults: Math.min(ids.length, 1000),
        metrics: [],
        params: [],
        tags: [],
      });
      for (const r of page.runs) known.set(r.run_id, r);
      for (const id of ids) if (!known.has(id)) known.set(id, { run_id: id, run_name: id.slice(0, 8), status: "" } as Run);
    } catch {
      // Names stay abbreviated ids; the charts work all the same.
    } finally {
      lookingUp = false;
    }
    chartsForRuns();
  };
  const runInfo = (id: string): Run | undefined => table.rows.find((r) => r.run_id === id) ?? known.get(id);
  const charted = (): ChartRun[] => {
    const hidden = new Set(state.hidden);
    const base = state.selected.length ? state.selected : table.rows.slice(0, DEFAULT_CHARTED).map((r) => r.run_id);
    return base
      .filter((id) => !hidden.has(id))
      .map((id) => {
        const r = runInfo(id);
        return { id, name: r?.run_name || id.slice(0, 8), color: tableHost.color(id), running: r?.status === "RUNNING" };
      });
  };

  const chartHost: ChartHost = {
    editable: true,
    runs: charted,
    runCount: () => (state.selected.length ? charted().length : table.total - state.hidden.length),
    metricKeys: () => keys.metrics,
    changed: () => writeUrl(),
    remove: (spec) => {
      state.charts = state.charts.filter((c) => c !== spec);
      writeUrl();
      buildCharts();
    },
    move: (spec, dir) => {
      const i = state.charts.indexOf(spec);
      const j = i + dir;
      if (i < 0 || j < 0 || j >= state.charts.length) return;
      [state.charts[i], state.charts[j]] = [state.charts[j], state.charts[i]];
      writeUrl();
      buildCharts();
    },
  };

  function buildCharts(): void {
    for (const c of charts) c.destroy();
    clear(chartsEl);
    charts = state.charts.map((spec) => new ChartCard(spec, chartHost));
    for (const c of charts) chartsEl.append(c.el);
    chartsInfo.textContent = `${state.charts.length} charts · ${keys.metrics.length} metric keys`;
    chartedIds = "";
    chartsForRuns();
  }

  /** Refetch the charts when the set of charted runs (or their colours) changed. */
  function chartsForRuns(force = false): void {
    const runs = charted();
    const now = JSON.stringify(runs.map((r) => [r.id, r.color]));
    if (!force && now === chartedIds) {
      for (const c of charts) c.updateRuns(runs);
      return;
    }
    chartedIds = now;
    for (const c of charts) void c.load();
  }

  // ---- toolbar actions ----
  const applyFilter = () => {
    state.filter = filterInput.value.trim();
    writeUrl();
    void table.reload();
  };
  filterInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter") applyFilter();
  });
  filterInput.addEventListener("search", applyFilter);
  lifecycle.addEventListener("change", () => {
    state.lifecycle = lifecycle.value as ViewState["lifecycle"];
    writeUrl();
    void table.reload();
  });

  const showPicker = (title: string, multi: boolean, kinds: ("metric" | "param" | "tag")[], done: (picked: Column[]) => void) => {
    clear(picker);
    picker.hidden = false;
    const q = h("input", { type: "search", placeholder: "filter keys…", "data-role": "picker-filter" });
    const list = h("div", { class: "picker-list" });
    const count = h("div", { class: "muted" });
    const chosen: Column[] = [];
    const all: Column[] = [];
    for (const k of kinds) {
      const src = k === "metric" ? keys.metrics : k === "param" ? keys.params : keys.tags;
      for (const key of src) all.push(k === "metric" ? { kind: "metric", key, red: "last" } : { kind: k, key });
    }
    const draw = () => {
      clear(list);
      const needle = q.value.toLowerCase();
      const hits = all.filter((c) => c.key.toLowerCase().includes(needle));
      count.textContent = `${hits.length} of ${all.length} keys`;
      for (const c of hits.slice(0, 300)) {
        const box = h("input", { type: "checkbox", checked: chosen.includes(c) });
        const item = h("label", { class: "picker-item" }, box, h("span", { class: "muted" }, c.kind === "metric" ? "metric " : c.kind === "param" ? "param " : "tag "), c.key);
        box.addEventListener("change", () => {
          if (box.checked) chosen.push(c);
          else chosen.splice(chosen.indexOf(c), 1);
          if (!multi && box.checked) finish();
        });
        list.append(item);
      }
      if (hits.length > 300) list.append(h("div", { class: "muted" }, `… refine the filter to see the other ${hits.length - 300}`));
    };
    const finish = () => {
      picker.hidden = true;
      if (chosen.length) done(chosen);
    };
    q.addEventListener("input", draw);
    picker.append(
      h("div", { class: "picker-head" }, h("b", {}, title), q, count, h("button", { onclick: finish, "data-role": "picker-ok" }, "OK"), h("button", { onclick: () => (picker.hidden = true) }, "Cancel")),
      list,
    );
    draw();
    q.focus();
  };

  const addColumns = () =>
    showPicker("Add columns", true, ["metric", "param", "tag"], (cols) => {
      state.columns = [...state.columns, ...cols];
      writeUrl();
      void table.reload();
    });
  const addChart = () =>
    showPicker("Metrics for a new chart", true, ["metric"], (cols) => {
      state.charts = [...state.charts, newChart(cols.map((c) => c.key))];
      writeUrl();
      buildCharts();
    });

  // ---- saved views (experiment tags through the API) ----
  const viewsExp = ids[0];
  let savedViews: { name: string; state: unknown }[] = [];
  const loadViews = async () => {
    try {
      const r = await get<{ views: { name: string; state: unknown }[] }>(`/api/views${qs({ experiment_id: viewsExp })}`);
      savedViews = r.views;
    } catch {
      savedViews = [];
    }
    clear(viewsSel);
    viewsSel.append(h("option", { value: "" }, savedViews.length ? "Saved views…" : "No saved views"));
    for (const v of savedViews) viewsSel.append(h("option", { value: v.name }, v.name));
  };
  const applyState = (s: ViewState) => {
    state = s;
    filterInput.value = state.filter;
    lifecycle.value = state.lifecycle;
    writeUrl();
    buildCharts();
    void table.reload();
  };
  viewsSel.addEventListener("change", () => {
    const v = savedViews.find((x) => x.name === viewsSel.value);
    if (v) applyState(fromCompact(v.state));
  });
  const saveView = async () => {
    const name = prompt("Save this view as:", viewsSel.value || "");
    if (!name) return;
    try {
      await request("PUT", `/api/views/${encodeURIComponent(name)}${qs({ experiment_id: viewsExp })}`, { state: toCompact(state) });
      await loadViews();
      viewsSel.value = name;
    } catch (e) {
      alert(e instanceof Error ? e.message : String(e));
    }
  };
  const deleteView = async () => {
    const name = viewsSel.value;
    if (!name || !confirm(`Delete the saved view "${name}"?`)) return;
    await request("DELETE", `/api/views/${encodeURIComponent(name)}${qs({ experiment_id: viewsExp })}`).catch((e) => alert(String(e)));
    await loadViews();
  };

  // ---- experiment header (rename / delete as MLflow's UI allows) ----
  const expActions = h("span", { class: "actions" });
  if (ids.length === 1) {
    get<Experiment>(`/api/experiments/${encodeURIComponent(ids[0])}`)
      .then((e) => {
        titleEl.textContent = e.name;
        document.title = `${e.name} · mlrs`;
        expActions.append(
          h("button", {
            onclick: async () => {
              const name = prompt("Rename the experiment:", e.name);
              if (!name || name === e.name) return;
              try {
                await request("PATCH", `/api/experiments/${encodeURIComponent(ids[0])}`, { name });
                titleEl.textContent = name;
                e.name = name;
              } catch (err) {
                alert(err instanceof Error ? err.message : String(err));
              }
            },
          }, "Rename"),
          h("button", {
            class: "danger",
            onclick: async () => {
              if (!confirm(`Delete the experiment "${e.name}"? (It can be restored with MLflow's tools until garbage-collected.)`)) return;
              try {
                await request("DELETE", `/api/experiments/${encodeURIComponent(ids[0])}`);
                navigate("/");
              } catch (err) {
                alert(err instanceof Error ? err.message : String(err));
              }
            },
          }, "Delete"),
        );
      })
      .catch((e) => root.prepend(errorBox(e)));
  }

  root.append(
    h("div", { class: "page-head" }, titleEl, expActions, h("span", { class: "grow" }), viewsSel, h("button", { onclick: saveView, "data-role": "save-view" }, "Save view"), h("button", { onclick: deleteView, title: "delete the selected saved view" }, "✕")),
    h(
      "div",
      { class: "toolbar" },
      filterInput,
      suggest,
      h("button", { onclick: applyFilter }, "Search"),
      lifecycle,
      h("button", { onclick: addColumns, "data-role": "add-columns" }, "Columns…"),
      h("button", { onclick: addChart, "data-role": "add-chart" }, "Add chart"),
    ),
    filterError,
    picker,
    table.el,
    h("div", { class: "charts-head" }, h("h2", {}, "Charts"), chartsInfo),
    chartsEl,
  );

  // ---- start ----
  const boot = async () => {
    const named = params.get("view");
    await loadViews();
    if (named && !explicit) {
      const v = savedViews.find((x) => x.name === named);
      if (v) {
        state = fromCompact(v.state);
        filterInput.value = state.filter;
        lifecycle.value = state.lifecycle;
        viewsSel.value = named;
      }
    }
    try {
      keys = await get<Keys>(`/api/runs/keys${qs({ experiment_ids: ids.join(",") })}`);
    } catch (e) {
      root.prepend(errorBox(e));
    }
    if (!explicit && !named && !state.charts.length) {
      state.charts = keys.metrics.slice(0, AUTO_CHARTS).map((k, i) => newChart([k], `a${i}`));
      if (!state.columns.length) {
        state.columns = keys.metrics.slice(0, 3).map((key) => ({ kind: "metric" as const, key, red: "last" as const }));
      }
    }
    buildCharts();
    await table.reload();
  };
  void boot();

  // ---- live updates: statuses and new points of charted runs, only while the tab is visible ----
  disposers.push(
    startPolling(async () => {
      const runs = charted();
      if (!runs.some((r) => r.running)) return;
      const ids = runs.map((r) => r.id);
      const page = await searchRuns({
        experimentIds: tableHost.experimentIds,
        filter: `attributes.run_id IN (${ids.map((x) => `'${x}'`).join(",")})`,
        orderBy: "",
        view: "all",
        maxResults: ids.length,
        metrics: state.columns.filter((c) => c.kind === "metric").map((c) => c.key),
        params: [],
        tags: [],
      });
      table.update(page.runs);
      for (const r of page.runs) if (known.has(r.run_id)) known.set(r.run_id, r);
      const now = charted();
      await Promise.all(
        charts.map(async (c) => {
          c.updateRuns(now);
          await c.tail();
        }),
      );
    }),
  );

  return () => {
    for (const d of disposers) d();
    for (const c of charts) c.destroy();
  };
}
