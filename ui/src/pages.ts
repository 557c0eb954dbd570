// The experiment list, the run page and the registered-model pages.
import { get, getRun, qs, request, type Experiment, type RunDetail } from "./api";
import { artifactBrowser } from "./artifacts";
import { ChartCard, type ChartHost } from "./chart";
import { assignColors } from "./colors";
import { clear, errorBox, fmtDuration, fmtNum, fmtTime, h, link, navigate } from "./dom";
import { startPolling } from "./live";
import { newChart } from "./state";

const complain = (e: unknown) => alert(e instanceof Error ? e.message : String(e));

function kvTable(rows: [string, Node | string][], role: string): HTMLElement {
  if (!rows.length) return h("div", { class: "muted" }, "None.");
  return h("table", { class: "grid kv", "data-role": role }, h("tbody", {}, ...rows.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v)))));
}

// ---------------------------------------------------------------------------------------------
export function experimentsPage(root: HTMLElement, params: URLSearchParams): () => void {
  const q = h("input", { type: "search", placeholder: "search experiments by name (or a filter: tags.team = 'x')", value: params.get("q") ?? "", class: "filter", "data-role": "exp-search" });
  const view = h("select", {});
  for (const v of ["active", "deleted", "all"]) view.append(h("option", { value: v, selected: v === (params.get("view") ?? "active") }, v));
  const err = h("div", { class: "filter-error" });
  const body = h("tbody", {});
  const compare = h("button", { disabled: true, "data-role": "compare" }, "Compare selected");
  const chosen = new Set<string>();
  compare.addEventListener("click", () => navigate(`/experiments/${[...chosen].join(",")}`));

  const load = async () => {
    const text = q.value.trim();
    const filter = !text ? "" : /[=<>]|\b(like|ilike)\b/i.test(text) ? text : `name ILIKE '%${text.replace(/'/g, "")}%'`;
    history.replaceState(null, "", `/${qs({ q: text, view: view.value === "active" ? "" : view.value })}`);
    clear(err);
    try {
      const r = await get<{ experiments: Experiment[] }>(`/api/experiments${qs({ filter, view: view.value, order_by: "last_update_time DESC" })}`);
      clear(body);
      for (const e of r.experiments) {
        const box = h("input", { type: "checkbox", checked: chosen.has(e.experiment_id) });
        box.addEventListener("change", () => {
          if (box.checked) chosen.add(e.experiment_id);
          else chosen.delete(e.experiment_id);
          compare.disabled = chosen.size < 2;
        });
        const rename = h("button", { class: "small" }, "Rename");
        rename.addEventListener("click", async () => {
          const name = prompt("Rename the experiment:", e.name);
          if (!name || name === e.name) return;
          await request("PATCH", `/api/experiments/${encodeURIComponent(e.experiment_id)}`, { name }).then(load, complain);
        });
        const del = h("button", { class: "small danger" }, "Delete");
        del.addEventListener("click", async () => {
          if (!confirm(`Delete the experiment "${e.name}"?`)) return;
          await request("DELETE", `/api/experiments/${encodeURIComponent(e.experiment_id)}`).then(load, complain);
        });
        body.append(
          h(
            "tr",
            { "data-experiment-id": e.experiment_id },
            h("td", {}, box),
            h("td", {}, link(`/experiments/${encodeURIComponent(e.experiment_id)}`, e.name)),
            h("td", { class: "num" }, e.experiment_id),
            h("td", {}, fmtTime(e.creation_time)),
            h("td", {}, fmtTime(e.last_update_time)),
            h("td", { class: "muted small" }, e.lifecycle_stage),
            h("td", {}, e.lifecycle_stage === "active" ? [rename, del] : null),
          ),
        );
      }
      if (!r.experiments.length) body.append(h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No experiments match.")));
    } catch (e) {
      err.append(errorBox(e));
    }
  };
  q.addEventListener("keydown", (e) => e.key === "Enter" && void load());
  q.addEventListener("search", () => void load());
  view.addEventListener("change", () => void load());
  root.append(
    h("div", { class: "page-head" }, h("h1", {}, "Experiments"), h("span", { class: "grow" }), compare),
    h("div", { class: "toolbar" }, q, view),
    err,
    h(
      "table",
      { class: "grid", "data-role": "experiments" },
      h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "Name"), h("th", {}, "ID"), h("th", {}, "Created"), h("th", {}, "Last update"), h("th", {}, "Stage"), h("th", {}, ""))),
      body,
    ),
  );
  void load();
  return () => {};
}

// ---------------------------------------------------------------------------------------------
export function runPage(root: HTMLElement, runId: string, params: URLSearchParams): () => void {
  let charts: ChartCard[] = [];
  let stopPoll = () => {};
  const draw = (run: RunDetail) => {
    clear(root);
    document.title = `${run.run_name} · mlrs`;
    const color = assignColors([run.run_id]).get(run.run_id)!;
    const host: ChartHost = {
      editable: false,
      runs: () => [{ id: run.run_id, name: run.run_name, color, running: run.status === "RUNNING" }],
      runCount: () => 1,
      metricKeys: () => Object.keys(run.metrics),
      changed: () => {},
    };
    const rename = h("button", {
      onclick: async () => {
        const name = prompt("Rename the run:", run.run_name);
        if (!name || name === run.run_name) return;
        await request("PATCH", `/api/runs/${encodeURIComponent(run.run_id)}`, { run_name: name }).then(reload, complain);
      },
    }, "Rename");
    const del = h("button", {
      class: "danger",
      onclick: async () => {
        if (!confirm(`Delete the run "${run.run_name}"?`)) return;
        await request("DELETE", `/api/runs/${encodeURIComponent(run.run_id)}`).then(() => navigate(`/experiments/${run.experiment_id}`), complain);
      },
    }, "Delete");

    const metricKeys = Object.keys(run.metrics).sort();
    const metricRows = metricKeys.map((k) => {
      const m = run.metrics[k];
      return h("tr", {}, h("th", {}, k), h("td", { class: "num" }, fmtNum(m.last)), h("td", { class: "num" }, fmtNum(m.min)), h("td", { class: "num" }, fmtNum(m.max)), h("td", { class: "num" }, fmtNum(m.first)), h("td", { class: "num" }, String(m.step)));
    });
    const userTags = Object.entries(run.tags).filter(([k]) => !k.startsWith("mlflow."));
    const sysTags = Object.entries(run.tags).filter(([k]) => k.startsWith("mlflow."));
    const tagRow = ([k, v]: [string, string]) => {
      const x = h("button", { class: "icon tiny", title: "delete tag" }, "✕");
      x.addEventListener("click", async () => {
        if (!confirm(`Delete the tag ${k}?`)) return;
        await request("PATCH", `/api/runs/${encodeURIComponent(run.run_id)}`, { tags: { [k]: null } }).then(reload, complain);
      });
      return [k, h("span", {}, v, " ", x)] as [string, Node];
    };
    const addTag = h("button", {
      class: "small",
      onclick: async () => {
        const k = prompt("Tag key:");
        if (!k) return;
        const v = prompt(`Value of ${k}:`, "") ?? "";
        await request("PATCH", `/api/runs/${encodeURIComponent(run.run_id)}`, { tags: { [k]: v } }).then(reload, complain);
      },
    }, "Add tag");

    const chartsEl = h("div", { class: "charts" });
    charts = metricKeys.map((k) => {
      const spec = newChart([k], `m${k}`);
      spec.x = k.startsWith("system/") ? "relative" : "step";
      return new ChartCard(spec, host);
    });
    for (const c of charts) chartsEl.append(c.el);

    const parent = run.parent_run_id;
    root.append(
      h("div", { class: "crumbs" }, link("/", "Experiments"), " / ", link(`/experiments/${run.experiment_id}`, `experiment ${run.experiment_id}`), " / "),
      h("div", { class: "page-head" }, h("span", { class: "swatch big", style: `background:${color}` }), h("h1", { "data-role": "run-name" }, run.run_name), h("span", { class: `status ${run.status.toLowerCase()}` }, run.status), h("span", { class: "grow" }), rename, del),
      kvTable(
        [
          ["Run ID", run.run_id],
          ["Started", fmtTime(run.start_time)],
          ["Duration", run.end_time && run.start_time ? fmtDuration(run.end_time - run.start_time) : ""],
          ["User", run.user_id],
          ["Lifecycle", run.lifecycle_stage],
          ["Artifact URI", run.artifact_uri],
          ...(parent ? ([["Parent run", link(`/runs/${parent}`, parent)]] as [string, Node][]) : []),
          ...(run.description ? ([["Description", run.description]] as [string, string][]) : []),
        ],
        "run-info",
      ),
      h("div", { class: "cols" },
        h("section", {}, h("h2", {}, `Parameters (${Object.keys(run.params).length})`), kvTable(Object.entries(run.params).sort(), "params")),
        h("section", {}, h("h2", {}, `Metrics (${metricKeys.length})`), metricRows.length ? h("table", { class: "grid", "data-role": "metrics" }, h("thead", {}, h("tr", {}, h("th", {}, "key"), h("th", {}, "last"), h("th", {}, "min"), h("th", {}, "max"), h("th", {}, "first"), h("th", {}, "step"))), h("tbody", {}, ...metricRows)) : h("div", { class: "muted" }, "None.")),
      ),
      h("div", { class: "cols" },
        h("section", {}, h("h2", {}, "Tags ", addTag), kvTable(userTags.map(tagRow), "tags"), sysTags.length ? h("details", {}, h("summary", {}, `${sysTags.length} system tags`), kvTable(sysTags, "system-tags")) : null),
        h("section", {},
          h("h2", {}, "Datasets"),
          run.inputs?.length ? h("table", { class: "grid" }, h("thead", {}, h("tr", {}, h("th", {}, "name"), h("th", {}, "digest"), h("th", {}, "source"), h("th", {}, "context"))), h("tbody", {}, ...run.inputs.map((i) => h("tr", {}, h("td", {}, i.dataset.name), h("td", {}, i.dataset.digest), h("td", {}, i.dataset.source_type), h("td", {}, i.tags?.["mlflow.data.context"] ?? ""))))) : h("div", { class: "muted" }, "None."),
          h("h2", {}, "Logged models"),
          run.logged_models?.length ? h("table", { class: "grid" }, h("tbody", {}, ...run.logged_models.map((m) => h("tr", {}, h("td", {}, m.name), h("td", { class: "muted small" }, m.model_id), h("td", {}, m.status), h("td", {}, fmtTime(m.creation_timestamp)))))) : h("div", { class: "muted" }, "None."),
          h("h2", {}, "Registered versions"),
          run.model_versions?.length ? h("table", { class: "grid" }, h("tbody", {}, ...run.model_versions.map((v) => h("tr", {}, h("td", {}, link(`/models/${encodeURIComponent(v.name)}`, v.name)), h("td", {}, `v${v.version}`), h("td", {}, v.current_stage), h("td", {}, (v.aliases ?? []).map((a) => h("span", { class: "pill" }, `@${a}`))))))) : h("div", { class: "muted" }, "None."),
        ),
      ),
      h("h2", {}, "Metric charts"),
      charts.length ? chartsEl : h("div", { class: "muted" }, "No metrics."),
      h("h2", {}, "Artifacts"),
      artifactBrowser(run.run_id, params.get("artifact") ?? ""),
    );
    for (const c of charts) void c.load();
    stopPoll();
    stopPoll = run.status === "RUNNING" ? startPolling(async () => {
      await Promise.all(charts.map((c) => c.tail()));
    }) : () => {};
  };
  const reload = async () => {
    try {
      const run = await getRun(runId);
      for (const c of charts) c.destroy();
      draw(run);
    } catch (e) {
      clear(root);
      root.append(errorBox(e));
    }
  };
  void reload();
  return () => {
    stopPoll();
    for (const c of charts) c.destroy();
  };
}

// ---------------------------------------------------------------------------------------------
interface ModelVersion {
  version: string;
  status: string;
  run_id: string;
  source: string;
  current_stage: string;
  aliases: string[];
  tags: Record<string, string>;
  creation_timestamp: number;
  description: string;
}
interface RegisteredModel {
  name: string;
  description: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  aliases: Record<string, string>;
  tags: Record<string, string>;
  latest_versions: ModelVersion[];
  versions?: ModelVersion[];
}

export function modelsPage(root: HTMLElement, params: URLSearchParams): () => void {
  const q = h("input", { type: "search", placeholder: "search registered models by name", value: params.get("q") ?? "", class: "filter" });
  const err = h("div", { class: "filter-error" });
  const body = h("tbody", {});
  const load = async () => {
    const text = q.value.trim();
    const filter = !text ? "" : /[=<>]|\b(like|ilike)\b/i.test(text) ? text : `name ILIKE '%${text.replace(/'/g, "")}%'`;
    history.replaceState(null, "", `/models${qs({ q: text })}`);
    clear(err);
    try {
      const r = await get<{ registered_models: RegisteredModel[] }>(`/api/registered-models${qs({ filter })}`);
      clear(body);
      for (const m of r.registered_models) {
        const latest = (m.latest_versions ?? []).map((v) => Number(v.version)).reduce((a, b) => Math.max(a, b), 0);
        body.append(
          h("tr", {},
            h("td", {}, link(`/models/${encodeURIComponent(m.name)}`, m.name)),
            h("td", { class: "num" }, latest ? `v${latest}` : ""),
            h("td", {}, Object.entries(m.aliases ?? {}).map(([a, v]) => h("span", { class: "pill" }, `@${a} → v${v}`))),
            h("td", {}, fmtTime(m.last_updated_timestamp)),
            h("td", { class: "muted small" }, m.description ?? ""),
          ),
        );
      }
      if (!r.registered_models.length) body.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No registered models.")));
    } catch (e) {
      err.append(errorBox(e));
    }
  };
  q.addEventListener("keydown", (e) => e.key === "Enter" && void load());
  q.addEventListener("search", () => void load());
  root.append(
    h("div", { class: "page-head" }, h("h1", {}, "Registered models")),
    h("div", { class: "toolbar" }, q),
    err,
    h("table", { class: "grid", "data-role": "models" }, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Latest"), h("th", {}, "Aliases"), h("th", {}, "Last update"), h("th", {}, "Description"))), body),
  );
  void load();
  return () => {};
}

export function modelPage(root: HTMLElement, name: string): () => void {
  get<RegisteredModel>(`/api/registered-models/${encodeURIComponent(name)}`)
    .then((m) => {
      document.title = `${m.name} · mlrs`;
      const versions = [...(m.versions ?? m.latest_versions ?? [])].sort((a, b) => Number(b.version) - Number(a.version));
      root.append(
        h("div", { class: "crumbs" }, link("/models", "Registered models"), " / "),
        h("div", { class: "page-head" }, h("h1", {}, m.name)),
        m.description ? h("p", {}, m.description) : "",
        h("h2", {}, "Aliases"),
        kvTable(Object.entries(m.aliases ?? {}).map(([a, v]) => [`@${a}`, `version ${v}`]), "aliases"),
        h("h2", {}, "Tags"),
        kvTable(Object.entries(m.tags ?? {}), "model-tags"),
        h("h2", {}, `Versions (${versions.length})`),
        h("table", { class: "grid", "data-role": "versions" },
          h("thead", {}, h("tr", {}, h("th", {}, "Version"), h("th", {}, "Aliases"), h("th", {}, "Stage"), h("th", {}, "Status"), h("th", {}, "Run"), h("th", {}, "Source"), h("th", {}, "Created"))),
          h("tbody", {}, ...versions.map((v) => h("tr", {},
            h("td", { class: "num" }, `v${v.version}`),
            h("td", {}, (v.aliases ?? []).map((a) => h("span", { class: "pill" }, `@${a}`))),
            h("td", {}, v.current_stage),
            h("td", {}, v.status),
            h("td", {}, v.run_id ? link(`/runs/${encodeURIComponent(v.run_id)}`, v.run_id.slice(0, 12)) : ""),
            h("td", { class: "muted small" }, v.source),
            h("td", {}, fmtTime(v.creation_timestamp)),
          ))),
        ),
      );
    })
    .catch((e) => root.append(errorBox(e)));
  return () => {};
}
