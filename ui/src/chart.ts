// One chart card: several metrics of several runs on a uPlot canvas, over the server's M4 series.
// Zooming (drag) refetches the range at the plot's width, so zooming far enough shows every raw
// point; double-click returns to the full range. The cursor is synced across charts with the same
// x-axis; hovering a line highlights its run everywhere.
import uPlot from "uplot";
import { getSeries, type Series } from "./api";
import { hoverRun, hoveredRun, onHoverRun } from "./bus";
import { withAlpha } from "./colors";
import { clear, errorBox, fmtNum, h } from "./dom";
import { ema } from "./smoothing";
import { apiX, type ChartSpec } from "./state";

export interface ChartRun {
  id: string;
  name: string;
  color: string;
  running: boolean;
}

export interface ChartHost {
  runs(): ChartRun[];
  /** The run set has more runs than are charted: "showing k of n". */
  runCount(): number;
  metricKeys(): string[];
  changed(spec: ChartSpec): void;
  remove?(spec: ChartSpec): void;
  move?(spec: ChartSpec, dir: -1 | 1): void;
  /** Editable chart (options bar); false on the run page's fixed charts. */
  editable: boolean;
}

/** The server's most M4 columns per request (ui/API.md); a range of <= 4x that comes back raw. */
const MAX_POINTS = 20_000;
/** Series whose raw points are fetched whole when smoothing is on, so the EMA runs on raw data. */
const RAW_FOR_SMOOTHING = 4 * MAX_POINTS;
const DASHES: (number[] | undefined)[] = [undefined, [6, 4], [2, 3], [10, 3, 2, 3]];

interface Line {
  run: ChartRun;
  key: string;
  s: Series;
  /** y values drawn (smoothed when smoothing is on). */
  y: number[];
  smoothedOnRaw: boolean;
}

function byX(s: Series): Series {
  for (let i = 1; i < s.x.length; i++) {
    if (!(s.x[i - 1] <= s.x[i])) {
      const idx = s.x.map((_, j) => j).sort((a, b) => s.x[a] - s.x[b] || a - b);
      const pick = (a: number[]) => idx.map((j) => a[j]);
      return { ...s, x: pick(s.x), step: pick(s.step), timestamp: pick(s.timestamp), value: pick(s.value) };
    }
  }
  return s;
}

/** The largest value (a loop: spreading 10^5+ values into Math.max overflows the stack). */
function maxOf(a: number[], empty: number): number {
  let m = empty;
  for (const v of a) if (v > m) m = v;
  return m;
}

/** The index of the last point at or before x (binary search), or -1. */
function atOrBefore(xs: number[], x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

export class ChartCard {
  readonly el: HTMLElement;
  private plotEl: HTMLElement;
  private statusEl: HTMLElement;
  private tip: HTMLElement;
  private plot: uPlot | null = null;
  private lines: Line[] = [];
  /** uPlot series index -> run id (index 0 is x). */
  private seriesRun: (string | null)[] = [];
  private hovering = false;
  private fetches = 0;
  private loading = 0;
  private unsub: () => void;
  private resizeObs: ResizeObserver;
  private lastWidth = 0;
  /** Cards fetch once they come near the viewport: a page of many charts asks only for those seen. */
  private seen = false;
  private pending = false;
  private io: IntersectionObserver;

  constructor(
    readonly spec: ChartSpec,
    private host: ChartHost,
  ) {
    this.el = h("section", { class: `card w${spec.w}`, "data-chart": spec.id });
    this.plotEl = h("div", { class: "plot" });
    this.statusEl = h("div", { class: "chart-status" });
    this.tip = h("div", { class: "tip", hidden: true });
    this.el.append(this.header(), this.plotEl, this.statusEl, this.tip);
    this.plotEl.style.height = `${spec.h}px`;
    this.unsub = onHoverRun((id) => this.highlight(id));
    this.resizeObs = new ResizeObserver(() => {
      const w = this.plotEl.clientWidth;
      const hgt = this.plotEl.clientHeight;
      if (this.plot && (Math.abs(w - this.lastWidth) > 1 || Math.abs(hgt - this.spec.h) > 4)) {
        if (Math.abs(hgt - this.spec.h) > 4 && hgt >= 120) {
          this.spec.h = Math.round(hgt);
          this.host.changed(this.spec);
        }
        this.lastWidth = w;
        this.plot.setSize(this.size());
      }
    });
    this.resizeObs.observe(this.plotEl);
    this.io = new IntersectionObserver(
      (entries) => {
        if (!entries.some((e) => e.isIntersecting) || this.seen) return;
        this.seen = true;
        if (this.pending) {
          this.pending = false;
          delete this.el.dataset.pending;
          void this.load();
        }
      },
      { rootMargin: "400px" },
    );
    this.io.observe(this.el);
  }

  private header(): HTMLElement {
    const s = this.spec;
    const title = h("div", { class: "card-title" });
    s.keys.forEach((k, i) => {
      const dash = DASHES[i % DASHES.length];
      title.append(
        h("span", { class: "key", title: dash ? "dashed" : "solid" }, i ? h("span", { class: "sep" }, " · ") : null, k),
      );
    });
    if (!this.host.editable) return h("header", {}, title);

    const xSel = h("select", { title: "x-axis", "data-role": "x" });
    const opts: [string, string][] = [
      ["step", "step"],
      ["wall", "wall time"],
      ["relative", "relative time"],
    ];
    for (const k of this.host.metricKeys()) opts.push([`metric:${k}`, `metric: ${k}`]);
    if (!opts.some(([v]) => v === s.x)) opts.push([s.x, s.x]);
    for (const [v, label] of opts) xSel.append(h("option", { value: v, selected: v === s.x }, label));
    xSel.addEventListener("change", () => {
      s.x = xSel.value;
      s.zoom = null;
      this.changed(true);
    });
    const check = (label: string, on: boolean, set: (v: boolean) => void, role: string) => {
      const c = h("input", { type: "checkbox", checked: on, "data-role": role });
      c.addEventListener("change", () => {
        set(c.checked);
        this.changed(false);
      });
      return h("label", { class: "opt" }, c, label);
    };
    const smooth = h("input", {
      type: "range",
      min: 0,
      max: 0.99,
      step: 0.01,
      value: String(s.smooth),
      title: "EMA smoothing",
      "data-role": "smooth",
    });
    const smoothVal = h("span", { class: "num" }, s.smooth.toFixed(2));
    smooth.addEventListener("input", () => (smoothVal.textContent = Number(smooth.value).toFixed(2)));
    smooth.addEventListener("change", () => {
      s.smooth = Number(smooth.value);
      this.changed(true);
    });
    const width = h("select", { title: "width", "data-role": "width" });
    for (const w of [1, 2, 3]) width.append(h("option", { value: w, selected: w === s.w }, `${w}×`));
    width.addEventListener("change", () => {
      s.w = Number(width.value);
      this.el.className = `card w${s.w}`;
      this.host.changed(s);
    });
    const btn = (label: string, title: string, f: () => void) => h("button", { class: "icon", title, onclick: f }, label);
    const tools = h(
      "div",
      { class: "card-tools" },
      xSel,
      check("log x", s.logx, (v) => (s.logx = v), "logx"),
      check("log y", s.logy, (v) => (s.logy = v), "logy"),
      h("label", { class: "opt" }, "smooth ", smooth, smoothVal),
    );
    const move = h(
      "div",
      { class: "card-move" },
      width,
      this.host.move ? btn("◀", "move earlier", () => this.host.move?.(s, -1)) : null,
      this.host.move ? btn("▶", "move later", () => this.host.move?.(s, 1)) : null,
      this.host.remove ? btn("✕", "remove chart", () => this.host.remove?.(s)) : null,
    );
    return h("header", {}, h("div", { class: "card-row" }, title, move), tools);
  }

  private changed(refetch: boolean): void {
    this.host.changed(this.spec);
    if (refetch) void this.load();
    else this.draw();
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(200, this.plotEl.clientWidth), height: Math.max(100, this.plotEl.clientHeight) };
  }

  /** Fetch the series for the current runs, x-axis and zoom, then draw. */
  async load(): Promise<void> {
    if (!this.seen) {
      this.pending = true;
      this.el.dataset.pending = "1";
      return;
    }
    const runs = this.host.runs();
    const ticket = ++this.loading;
    if (!runs.length) {
      this.lines = [];
      this.draw();
      return;
    }
    const s = this.spec;
    const width = Math.min(MAX_POINTS, Math.max(100, Math.round(this.plotEl.clientWidth || 600)));
    this.fetches++;
    this.el.dataset.fetches = String(this.fetches);
    this.el.dataset.loading = "1";
    try {
      let series = await getSeries({
        runIds: runs.map((r) => r.id),
        keys: s.keys,
        x: apiX(s.x),
        xMin: s.zoom?.[0],
        xMax: s.zoom?.[1],
        points: width,
      });
      if (s.smooth > 0) series = await this.rawForSmoothing(series);
      if (ticket !== this.loading) return;
      const byId = new Map(runs.map((r) => [r.id, r]));
      this.lines = series
        .filter((x) => byId.has(x.run_id))
        .map((x) => ({ run: byId.get(x.run_id)!, key: x.key, s: byX(x), y: [], smoothedOnRaw: x.raw }));
      this.statusEl.textContent = "";
      this.draw();
    } catch (e) {
      if (ticket !== this.loading) return;
      clear(this.statusEl);
      this.statusEl.append(errorBox(e));
    } finally {
      if (ticket === this.loading) delete this.el.dataset.loading;
    }
  }

  /**
   * EMA on M4 points would change with zoom and width; refetch the whole raw series of those
   * that are small enough (the server returns raw points when the range holds <= 4*points).
   */
  private async rawForSmoothing(series: Series[]): Promise<Series[]> {
    const want = series.filter((x) => !x.raw && x.total_points <= RAW_FOR_SMOOTHING);
    if (!want.length) return series;
    const s = this.spec;
    const raw = await Promise.all(
      want.map((w) =>
        getSeries({ runIds: [w.run_id], keys: [w.key], x: apiX(s.x), points: Math.min(MAX_POINTS, Math.ceil(w.total_points / 4) + 1) }),
      ),
    );
    const got = new Map<string, Series>();
    for (const r of raw) for (const x of r) got.set(`${x.run_id}\u0000${x.key}`, x);
    return series.map((x) => got.get(`${x.run_id}\u0000${x.key}`) ?? x);
  }

  /** Live tail: append points after each series' last step, for running runs. */
  async tail(): Promise<void> {
    if (this.loading && this.el.dataset.loading) return;
    const running = this.lines.filter((l) => l.run.running);
    if (!running.length) return;
    const after = Math.min(...running.map((l) => maxOf(l.s.step, -1)));
    const s = this.spec;
    const news = await getSeries({
      runIds: [...new Set(running.map((l) => l.run.id))],
      keys: s.keys,
      x: apiX(s.x),
      points: MAX_POINTS,
      afterStep: after,
    });
    let added = 0;
    for (const n of news) {
      const line = this.lines.find((l) => l.run.id === n.run_id && l.key === n.key);
      if (!line) continue;
      const last = maxOf(line.s.step, -Infinity);
      for (let i = 0; i < n.step.length; i++) {
        if (n.step[i] <= last) continue;
        line.s.x.push(n.x[i]);
        line.s.step.push(n.step[i]);
        line.s.timestamp.push(n.timestamp[i]);
        line.s.value.push(n.value[i]);
        line.s.total_points++;
        added++;
      }
    }
    if (added) {
      this.lines = this.lines.map((l) => ({ ...l, s: byX(l.s) }));
      this.draw();
    }
  }

  /** Runs changed name, colour or status without a refetch; redraws when the picture changes. */
  updateRuns(runs: ChartRun[]): void {
    const m = new Map(runs.map((r) => [r.id, r]));
    let redraw = false;
    for (const l of this.lines) {
      const n = m.get(l.run.id);
      if (!n) continue;
      if (n.name !== l.run.name || n.color !== l.run.color) redraw = true;
      l.run = n;
    }
    if (redraw) this.draw();
  }

  isLive(): boolean {
    return this.lines.some((l) => l.run.running);
  }

  private xToPlot(x: number): number {
    return this.spec.x === "wall" ? x / 1000 : x;
  }

  private xFromPlot(x: number): number {
    return this.spec.x === "wall" ? x * 1000 : x;
  }

  draw(): void {
    const s = this.spec;
    this.plot?.destroy();
    this.plot = null;
    clear(this.plotEl);
    this.seriesRun = [null];
    const tables: uPlot.AlignedData[] = [];
    const series: uPlot.Series[] = [{}];
    const nonFinite: { x: number; kind: "nan" | "pinf" | "ninf"; color: string }[] = [];
    let points = 0;
    let yMax = -Infinity;
    let allRaw = this.lines.length > 0;
    let approx = false;
    const keyIndex = new Map(s.keys.map((k, i) => [k, i]));

    for (const line of this.lines) {
      const xs: number[] = [];
      const vs: number[] = [];
      for (let i = 0; i < line.s.x.length; i++) {
        const x = line.s.x[i];
        if (!Number.isFinite(x) || (s.logx && x <= 0)) continue;
        xs.push(this.xToPlot(x));
        vs.push(line.s.value[i]);
      }
      points += xs.length;
      allRaw &&= line.s.raw;
      const sm = s.smooth > 0 ? ema(vs, s.smooth) : vs;
      if (s.smooth > 0 && !line.s.raw) approx = true;
      line.y = sm;
      const clean = (arr: number[]) =>
        arr.map((v) => (Number.isFinite(v) && !(s.logy && v <= 0) ? v : null)) as (number | null)[];
      for (let i = 0; i < vs.length; i++) {
        const v = vs[i];
        if (Number.isNaN(v)) nonFinite.push({ x: xs[i], kind: "nan", color: line.run.color });
        else if (v === Infinity) nonFinite.push({ x: xs[i], kind: "pinf", color: line.run.color });
        else if (v === -Infinity) nonFinite.push({ x: xs[i], kind: "ninf", color: line.run.color });
        else if (v > yMax) yMax = v;
      }
      const dash = DASHES[(keyIndex.get(line.key) ?? 0) % DASHES.length];
      const label = `${line.run.name} · ${line.key}`;
      if (s.smooth > 0) {
        tables.push([xs, clean(vs)] as unknown as uPlot.AlignedData);
        series.push({ label: `${label} (raw)`, stroke: withAlpha(line.run.color, 0.25), width: 1, dash, spanGaps: true, points: { show: false } });
        this.seriesRun.push(line.run.id);
      }
      tables.push([xs, clean(sm)] as unknown as uPlot.AlignedData);
      series.push({
        label,
        stroke: line.run.color,
        width: 1.5,
        dash,
        spanGaps: true,
        points: { show: xs.length < 60, size: 4 },
      });
      this.seriesRun.push(line.run.id);
    }

    this.el.dataset.points = String(points);
    this.el.dataset.raw = allRaw ? "1" : "0";
    this.el.dataset.ymax = Number.isFinite(yMax) ? String(yMax) : "";
    this.el.dataset.nonfinite = String(nonFinite.length);
    const total = this.host.runCount();
    const shownRuns = new Set(this.lines.map((l) => l.run.id)).size;
    const notes: string[] = [];
    if (total > shownRuns) notes.push(`showing ${shownRuns} of ${total} runs`);
    if (!allRaw && this.lines.length) notes.push("downsampled (M4): zoom in for every point");
    if (allRaw && this.lines.length) notes.push("every point");
    if (approx) notes.push("smoothing on downsampled points (series too long to fetch raw)");
    if (nonFinite.length) notes.push(`${nonFinite.length} NaN/Inf marked`);
    if (s.zoom) notes.push("double-click to reset zoom");
    this.statusEl.textContent = notes.join(" · ");
    if (!tables.length) {
      this.plotEl.append(h("div", { class: "empty" }, this.host.runs().length ? "No points." : "No runs selected."));
      return;
    }
    const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
    const xIsTime = s.x === "wall";
    const xRange = s.zoom ? ([this.xToPlot(s.zoom[0]), this.xToPlot(s.zoom[1])] as [number, number]) : null;

    const opts: uPlot.Options = {
      ...this.size(),
      series,
      legend: { show: false },
      scales: {
        x: {
          time: xIsTime,
          distr: s.logx ? 3 : 1,
          ...(xRange ? { auto: false, range: () => xRange } : {}),
        },
        y: { distr: s.logy ? 3 : 1 },
      },
      axes: [
        {
          stroke: "#555",
          grid: { stroke: "#eee" },
          ...(s.x === "relative" ? { values: (_u: uPlot, vals: number[]) => relativeLabels(vals) } : {}),
        },
        { stroke: "#555", grid: { stroke: "#eee" }, size: 60, values: (_u: uPlot, vals: number[]) => vals.map(fmtNum) },
      ],
      cursor: {
        sync: { key: `mlrs-${s.x}`, setSeries: false },
        drag: { x: true, y: false, setScale: false },
        focus: { prox: 16 },
        bind: {
          dblclick: () => () => {
            if (this.spec.zoom) {
              this.spec.zoom = null;
              this.changed(true);
            }
            return null;
          },
        },
      },
      focus: { alpha: 1 },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const a = this.xFromPlot(u.posToVal(u.select.left, "x"));
            const b = this.xFromPlot(u.posToVal(u.select.left + u.select.width, "x"));
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            if (!(a < b)) return;
            this.spec.zoom = [a, b];
            this.changed(true);
          },
        ],
        setSeries: [
          (_u, idx, o) => {
            if ((o as { focus?: boolean }).focus && this.hovering) hoverRun(idx === null ? null : this.seriesRun[idx] ?? null);
          },
        ],
        setCursor: [(u) => this.cursorMoved(u)],
        draw: [(u) => drawNonFinite(u, nonFinite)],
      },
    };
    this.plot = new uPlot(opts, data, this.plotEl);
    this.lastWidth = this.plotEl.clientWidth;
    const over = this.plot.over;
    over.addEventListener("mouseenter", () => (this.hovering = true));
    over.addEventListener("mouseleave", () => {
      this.hovering = false;
      this.tip.hidden = true;
      hoverRun(null);
    });
    this.highlight(hoveredRun());
  }

  private cursorMoved(u: uPlot): void {
    const left = u.cursor.left ?? -1;
    this.el.dataset.cursorLeft = String(Math.round(left));
    if (!this.hovering || left < 0 || u.cursor.idx === null || u.cursor.idx === undefined) {
      if (!this.hovering) this.tip.hidden = true;
      return;
    }
    // The x of the nearest drawn point, so the tooltip names a logged step, not a pixel.
    const x = (u.data[0][u.cursor.idx] as number | undefined) ?? u.posToVal(left, "x");
    const rows: { name: string; color: string; v: number; key: string }[] = [];
    const seen = new Set<string>();
    const xApi = this.xFromPlot(x);
    for (const l of this.lines) {
      const i = atOrBefore(l.s.x, xApi);
      if (i < 0) continue;
      const id = `${l.run.id}\u0000${l.key}`;
      if (seen.has(id)) continue;
      seen.add(id);
      rows.push({ name: l.run.name, color: l.run.color, v: l.y[i] ?? l.s.value[i], key: l.key });
    }
    rows.sort((a, b) => (Number.isNaN(a.v) ? 1 : Number.isNaN(b.v) ? -1 : b.v - a.v));
    clear(this.tip);
    const xLabel = this.spec.x === "wall" ? new Date(x * 1000).toISOString().replace("T", " ").slice(0, 19) : fmtNum(x);
    this.tip.append(h("div", { class: "tip-x" }, `${this.spec.x.replace("metric:", "")} ${xLabel}`));
    for (const r of rows.slice(0, 30)) {
      this.tip.append(
        h(
          "div",
          { class: "tip-row" },
          h("span", { class: "swatch", style: `background:${r.color}` }),
          h("span", { class: "tip-name" }, this.spec.keys.length > 1 ? `${r.name} · ${r.key}` : r.name),
          h("span", { class: "num" }, fmtNum(r.v)),
        ),
      );
    }
    if (rows.length > 30) this.tip.append(h("div", {}, `… ${rows.length - 30} more`));
    this.tip.hidden = false;
    const box = this.plotEl.getBoundingClientRect();
    const tipLeft = left + 70 + 260 > box.width ? left - 200 : left + 70;
    this.tip.style.left = `${Math.max(0, tipLeft)}px`;
    this.tip.style.top = `${40 + (u.cursor.top ?? 0) / 3}px`;
  }

  private highlight(runId: string | null): void {
    const u = this.plot;
    if (!u) return;
    u.series.forEach((ser, i) => {
      if (i === 0) return;
      ser.alpha = runId === null || this.seriesRun[i] === runId ? 1 : 0.15;
    });
    this.el.dataset.highlight = runId ?? "";
    u.redraw(false, false);
  }

  destroy(): void {
    this.unsub();
    this.resizeObs.disconnect();
    this.io.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }
}

/** Relative time in seconds, switching to minutes and hours as the range grows. */
function relativeLabels(vals: number[]): string[] {
  const span = Math.max(...vals) - Math.min(...vals);
  if (span >= 3 * 3600) return vals.map((v) => `${+(v / 3600).toFixed(2)}h`);
  if (span >= 3 * 60) return vals.map((v) => `${+(v / 60).toFixed(1)}m`);
  return vals.map((v) => `${+v.toFixed(1)}s`);
}

/** NaN and infinities are marked, not dropped: ▲ at the top for +Inf, ▼ at the bottom for -Inf, ○ for NaN. */
function drawNonFinite(u: uPlot, marks: { x: number; kind: "nan" | "pinf" | "ninf"; color: string }[]): void {
  if (!marks.length) return;
  const ctx = u.ctx;
  const dpr = devicePixelRatio || 1;
  const top = u.bbox.top;
  const bottom = u.bbox.top + u.bbox.height;
  ctx.save();
  for (const m of marks) {
    const px = u.valToPos(m.x, "x", true);
    if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) continue;
    ctx.fillStyle = m.color;
    ctx.strokeStyle = m.color;
    ctx.lineWidth = 1.5 * dpr;
    const r = 4 * dpr;
    ctx.beginPath();
    if (m.kind === "pinf") {
      ctx.moveTo(px, top + 1);
      ctx.lineTo(px - r, top + 2 * r);
      ctx.lineTo(px + r, top + 2 * r);
      ctx.closePath();
      ctx.fill();
    } else if (m.kind === "ninf") {
      ctx.moveTo(px, bottom - 1);
      ctx.lineTo(px - r, bottom - 2 * r);
      ctx.lineTo(px + r, bottom - 2 * r);
      ctx.closePath();
      ctx.fill();
    } else {
      ctx.arc(px, bottom - 3 * r, r, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  ctx.restore();
}
