// The runs table: rows are virtualized (only those in view, plus a margin, exist in the DOM),
// pages come from the server with its cursor token as the user scrolls, and sorting is done by the
// server over all runs (the table reloads from the first page, so no loaded row can vanish).
import { searchRuns, type Run } from "./api";
import { hoverRun, onHoverRun } from "./bus";
import { clear, errorBox, fmtDuration, fmtNum, fmtTime, h, link } from "./dom";
import { REDUCERS, type Column, type Reducer } from "./state";

export const ROW_HEIGHT = 28;
const OVERSCAN = 12;
const PAGE = 100;

export interface TableHost {
  experimentIds: string[];
  filter(): string;
  order(): string;
  lifecycle(): string;
  columns(): Column[];
  selected(): Set<string>;
  hidden(): Set<string>;
  color(runId: string): string;
  setOrder(order: string): void;
  setColumns(cols: Column[]): void;
  setSelected(ids: string[]): void;
  toggleHidden(id: string): void;
  setColor(id: string, color: string): void;
  /** Called after each page arrives (charts may default to the first rows). */
  loaded(): void;
  /** A filter or sort error from the server, shown inline; null clears it. */
  error(e: unknown): void;
}

export function sortExpr(c: Column | "name" | "status" | "start"): string {
  if (c === "name") return "attributes.run_name";
  if (c === "status") return "attributes.status";
  if (c === "start") return "attributes.start_time";
  const q = /^[A-Za-z_][A-Za-z0-9_]*$/.test(c.key) ? c.key : "`" + c.key.replace(/`/g, "``") + "`";
  if (c.kind === "metric") return c.red === "last" ? `metrics.${q}` : `${c.red}(metrics.${q})`;
  return `${c.kind === "param" ? "params" : "tags"}.${q}`;
}

export class RunsTable {
  readonly el: HTMLElement;
  rows: Run[] = [];
  total = 0;
  private next: string | null = null;
  private generation = 0;
  private fetching: Promise<void> | null = null;
  private head: HTMLElement;
  private body: HTMLElement;
  private spacer: HTMLElement;
  private scroller: HTMLElement;
  private info: HTMLElement;
  private lastClicked: number | null = null;
  private hovered: string | null = null;
  private unsub: () => void;
  private rendered = new Map<number, HTMLElement>();

  constructor(private host: TableHost) {
    this.head = h("div", { class: "thead" });
    this.spacer = h("div", { class: "spacer" });
    this.body = h("div", { class: "tbody" });
    this.spacer.append(this.body);
    this.scroller = h("div", { class: "scroller", "data-role": "runs-scroller" }, this.head, this.spacer);
    this.info = h("div", { class: "table-info" });
    this.el = h("div", { class: "runs-table" }, this.scroller, this.info);
    this.scroller.addEventListener("scroll", () => this.render(), { passive: true });
    this.unsub = onHoverRun((id) => {
      this.hovered = id;
      for (const row of this.rendered.values()) row.classList.toggle("hover", row.dataset.runId === id);
    });
  }

  destroy(): void {
    this.unsub();
  }

  private template(): string {
    return ["34px", "50px", "minmax(160px,2fr)", "90px", "160px", "90px", ...this.host.columns().map(() => "minmax(90px,1fr)")].join(" ");
  }

  /** Reload from the first page (filter, sort, columns or lifecycle changed). */
  async reload(): Promise<void> {
    // The rows shown stay until the new first page arrives: a filter the server refuses leaves
    // the table as it was, with the error beside it.
    this.generation++;
    this.fetching = null;
    this.renderHead();
    await this.fetchMore(PAGE, true);
  }

  private async fetchMore(n: number, first = false): Promise<void> {
    if (this.fetching) return this.fetching;
    if (!first && !this.next) return;
    const gen = this.generation;
    const cols = this.host.columns();
    const pick = (k: Column["kind"]) => [...new Set(cols.filter((c) => c.kind === k).map((c) => c.key))];
    this.el.dataset.loading = "1";
    this.fetching = (async () => {
      try {
        const page = await searchRuns({
          experimentIds: this.host.experimentIds,
          filter: this.host.filter(),
          orderBy: this.host.order(),
          view: this.host.lifecycle(),
          pageToken: first ? null : this.next,
          maxResults: Math.min(1000, Math.max(PAGE, n)),
          metrics: pick("metric"),
          params: pick("param"),
          tags: pick("tag"),
        });
        if (gen !== this.generation) return;
        if (first) {
          this.rows = [];
          this.lastClicked = null;
          for (const el of this.rendered.values()) el.remove();
          this.rendered.clear();
          this.scroller.scrollTop = 0;
        }
        this.rows.push(...page.runs);
        this.total = Math.max(page.total ?? 0, this.rows.length);
        this.next = page.next_page_token || null;
        if (!this.next) this.total = this.rows.length;
        this.host.error(null);
        this.host.loaded();
      } catch (e) {
        if (gen !== this.generation) return;
        this.host.error(e);
      } finally {
        if (gen === this.generation) {
          this.fetching = null;
          delete this.el.dataset.loading;
        }
      }
      this.render();
    })();
    return this.fetching;
  }

  private renderHead(): void {
    clear(this.head);
    const tpl = this.template();
    this.head.style.gridTemplateColumns = tpl;
    const order = this.host.order();
    const sortable = (label: string | Node, expr: string, extra?: Node | null) => {
      const desc = order === `${expr} DESC`;
      const asc = order === `${expr} ASC` || order === expr;
      const cell = h(
        "div",
        { class: `th sortable${desc || asc ? " sorted" : ""}`, title: `sort by ${expr}`, "data-sort": expr },
        h("span", { class: "th-label" }, label, desc ? " ▼" : asc ? " ▲" : ""),
        extra ?? null,
      );
      cell.addEventListener("click", (e) => {
        if ((e.target as HTMLElement).closest("select,button")) return;
        this.host.setOrder(`${expr} ${desc ? "ASC" : "DESC"}`);
      });
      return cell;
    };
    const all = h("input", { type: "checkbox", title: "chart all loaded runs", "data-role": "select-all" });
    all.checked = this.rows.length > 0 && this.rows.every((r) => this.host.selected().has(r.run_id));
    all.addEventListener("change", () => this.host.setSelected(all.checked ? this.rows.map((r) => r.run_id) : []));
    this.head.append(
      h("div", { class: "th" }, all),
      h("div", { class: "th", title: "colour; shown in charts or hidden" }, "show"),
      sortable("Run", sortExpr("name")),
      sortable("Status", sortExpr("status")),
      sortable("Started", sortExpr("start")),
      h("div", { class: "th" }, "Duration"),
    );
    this.host.columns().forEach((c, i) => {
      const rm = h("button", { class: "icon tiny", title: "remove column" }, "✕");
      rm.addEventListener("click", () => {
        const cols = this.host.columns().slice();
        cols.splice(i, 1);
        this.host.setColumns(cols);
      });
      let extra: Node = rm;
      if (c.kind === "metric") {
        const sel = h("select", { class: "reducer", title: "value shown and sorted", "data-role": "reducer" });
        for (const r of REDUCERS) sel.append(h("option", { value: r, selected: r === c.red }, r));
        sel.addEventListener("change", () => {
          const cols = this.host.columns().slice();
          const wasSorted = order.startsWith(sortExpr(c) + " ");
          const nc = { ...c, red: sel.value as Reducer };
          cols[i] = nc;
          this.host.setColumns(cols);
          if (wasSorted) this.host.setOrder(`${sortExpr(nc)} ${order.endsWith("ASC") ? "ASC" : "DESC"}`);
        });
        extra = h("span", {}, sel, rm);
      }
      const prefix = c.kind === "metric" ? "" : c.kind === "param" ? "param " : "tag ";
      this.head.append(sortable(`${prefix}${c.key}`, sortExpr(c), extra));
    });
  }

  /** Draw the rows in view; ask for the next page when the view nears the loaded end. */
  render(): void {
    const n = this.next ? this.total : this.rows.length;
    this.spacer.style.height = `${n * ROW_HEIGHT}px`;
    const top = this.scroller.scrollTop;
    const viewH = this.scroller.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(n, Math.ceil((top + viewH) / ROW_HEIGHT) + OVERSCAN);
    if (last > this.rows.length - OVERSCAN && this.next && !this.fetching) {
      void this.fetchMore(last - this.rows.length + PAGE);
    }
    const tpl = this.template();
    const sel = this.host.selected();
    const hidden = this.host.hidden();
    for (const [i, el] of this.rendered) {
      if (i < first || i >= last || i >= this.rows.length) {
        el.remove();
        this.rendered.delete(i);
      }
    }
    for (let i = first; i < Math.min(last, this.rows.length); i++) {
      const old = this.rendered.get(i);
      if (old && old.dataset.runId === this.rows[i].run_id && old.dataset.tpl === tpl) {
        old.classList.toggle("selected", sel.has(this.rows[i].run_id));
        continue;
      }
      old?.remove();
      const row = this.row(i, tpl, sel, hidden);
      this.rendered.set(i, row);
      this.body.append(row);
    }
    const loading = this.rows.length < n ? ` (${this.rows.length} loaded)` : "";
    this.info.textContent = `${this.total.toLocaleString()} runs${loading} · ${sel.size} selected · shift-click selects a range`;
    this.info.dataset.total = String(this.total);
  }

  private row(i: number, tpl: string, sel: Set<string>, hidden: Set<string>): HTMLElement {
    const r = this.rows[i];
    const color = this.host.color(r.run_id);
    const check = h("input", { type: "checkbox", checked: sel.has(r.run_id), title: "chart this run (shift: a range)" });
    check.addEventListener("click", (e) => this.clickSelect(i, (e as MouseEvent).shiftKey, check.checked));
    // The run's colour dot opens a colour picker; the eye hides the run in the charts.
    const picker = h("input", { type: "color", value: color, class: "color-input", title: "run colour" });
    picker.addEventListener("change", () => this.host.setColor(r.run_id, picker.value));
    const swatch = h("label", { class: "dot", style: `background:${color}`, title: "change the run's colour" }, picker);
    const off = hidden.has(r.run_id);
    const eye = h("button", { class: `icon eye${off ? " off" : ""}`, title: off ? "show in charts" : "hide in charts", "data-role": "eye" }, off ? "○" : "◉");
    eye.addEventListener("click", () => this.host.toggleHidden(r.run_id));
    const cells: (Node | string)[] = [
      h("div", { class: "td" }, check),
      h("div", { class: "td" }, swatch, eye),
      h("div", { class: "td name", title: r.run_name }, link(`/runs/${encodeURIComponent(r.run_id)}`, r.run_name || r.run_id)),
      h("div", { class: `td status ${r.status.toLowerCase()}` }, r.status),
      h("div", { class: "td" }, fmtTime(r.start_time)),
      h("div", { class: "td num" }, r.end_time && r.start_time ? fmtDuration(r.end_time - r.start_time) : r.status === "RUNNING" ? "…" : ""),
    ];
    for (const c of this.host.columns()) {
      let v = "";
      if (c.kind === "metric") {
        const m = r.metrics[c.key];
        v = m ? fmtNum(m[c.red]) : "";
      } else if (c.kind === "param") v = r.params[c.key] ?? "";
      else v = r.tags[c.key] ?? "";
      cells.push(h("div", { class: `td${c.kind === "metric" ? " num" : ""}`, title: v }, v));
    }
    const row = h("div", {
      class: `tr${sel.has(r.run_id) ? " selected" : ""}${this.hovered === r.run_id ? " hover" : ""}`,
      "data-run-id": r.run_id,
      "data-tpl": tpl,
      "data-index": i,
    });
    row.style.gridTemplateColumns = tpl;
    row.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
    row.append(...cells);
    row.addEventListener("mouseenter", () => hoverRun(r.run_id));
    row.addEventListener("mouseleave", () => hoverRun(null));
    return row;
  }

  private clickSelect(i: number, shift: boolean, on: boolean): void {
    const sel = this.host.selected();
    if (shift && this.lastClicked !== null) {
      const [a, b] = this.lastClicked < i ? [this.lastClicked, i] : [i, this.lastClicked];
      for (let j = a; j <= b && j < this.rows.length; j++) {
        if (on) sel.add(this.rows[j].run_id);
        else sel.delete(this.rows[j].run_id);
      }
    } else if (on) sel.add(this.rows[i].run_id);
    else sel.delete(this.rows[i].run_id);
    this.lastClicked = i;
    // Keep table order, which is what the charts follow.
    const order = this.rows.map((r) => r.run_id).filter((id) => sel.has(id));
    const rest = [...sel].filter((id) => !order.includes(id));
    this.host.setSelected([...order, ...rest]);
  }

  /** Replace rows that a live poll refreshed (status, metric values). */
  update(runs: Run[]): void {
    const m = new Map(runs.map((r) => [r.run_id, r]));
    let changed = false;
    this.rows = this.rows.map((r) => {
      const n = m.get(r.run_id);
      if (!n) return r;
      changed = true;
      return { ...r, status: n.status, end_time: n.end_time, metrics: { ...r.metrics, ...n.metrics } };
    });
    if (changed) {
      for (const el of this.rendered.values()) el.remove();
      this.rendered.clear();
      this.render();
    }
  }

  refreshSelection(): void {
    for (const el of this.rendered.values()) el.remove();
    this.rendered.clear();
    this.renderHead();
    this.render();
  }

  showError(e: unknown): HTMLElement {
    return errorBox(e);
  }
}
