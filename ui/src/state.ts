// The experiment page's whole view (filter, sort, columns, hidden runs, colours, charts with their
// options and zoom) as one value that round-trips through the URL's `v` parameter and through
// saved views (the server stores the same JSON as an experiment tag). Defaults are left out of the
// encoding so ordinary links stay short.

export type Reducer = "last" | "min" | "max" | "first";
export const REDUCERS: readonly Reducer[] = ["last", "min", "max", "first"];

export type Column =
  | { kind: "metric"; key: string; red: Reducer }
  | { kind: "param"; key: string }
  | { kind: "tag"; key: string };

/** x-axis: "step", "wall", "relative", or "metric:<key>" (another metric's value at the same step). */
export type XAxis = string;

export interface ChartSpec {
  id: string;
  keys: string[];
  x: XAxis;
  logx: boolean;
  logy: boolean;
  /** EMA weight in [0, 1); 0 is off. */
  smooth: number;
  /** Width in grid columns (1..3) and height in px. */
  w: number;
  h: number;
  /** Zoomed x-range, or null for the full range. */
  zoom: [number, number] | null;
}

export interface ViewState {
  filter: string;
  order: string;
  lifecycle: "active" | "deleted" | "all";
  columns: Column[];
  /** Runs charted (in table order once known); empty means the first runs of the table. */
  selected: string[];
  hidden: string[];
  colors: Record<string, string>;
  charts: ChartSpec[];
}

export function defaultState(): ViewState {
  return {
    filter: "",
    order: "",
    lifecycle: "active",
    columns: [],
    selected: [],
    hidden: [],
    colors: {},
    charts: [],
  };
}

export function newChart(keys: string[], id?: string): ChartSpec {
  return {
    id: id ?? Math.random().toString(36).slice(2, 8),
    keys,
    x: "step",
    logx: false,
    logy: false,
    smooth: 0,
    w: 1,
    h: 260,
    zoom: null,
  };
}

// ---- compact form ----

type Compact = Record<string, unknown>;

function compactChart(c: ChartSpec): Compact {
  const o: Compact = { i: c.id, k: c.keys };
  if (c.x !== "step") o.x = c.x;
  if (c.logx) o.lx = 1;
  if (c.logy) o.ly = 1;
  if (c.smooth) o.s = c.smooth;
  if (c.w !== 1) o.w = c.w;
  if (c.h !== 260) o.h = c.h;
  if (c.zoom) o.z = c.zoom;
  return o;
}

function compactColumn(c: Column): string {
  // "m:last:loss", "p:lr", "t:team"; keys may hold colons, so they come last.
  if (c.kind === "metric") return `m:${c.red}:${c.key}`;
  return `${c.kind === "param" ? "p" : "t"}:${c.key}`;
}

function compact(s: ViewState): Compact {
  const o: Compact = {};
  if (s.filter) o.f = s.filter;
  if (s.order) o.o = s.order;
  if (s.lifecycle !== "active") o.l = s.lifecycle;
  if (s.columns.length) o.c = s.columns.map(compactColumn);
  if (s.selected.length) o.r = s.selected;
  if (s.hidden.length) o.hd = s.hidden;
  if (Object.keys(s.colors).length) o.co = s.colors;
  if (s.charts.length) o.ch = s.charts.map(compactChart);
  return o;
}

// ---- validation of untrusted input (a pasted link, a saved view written by someone else) ----

const str = (v: unknown, d: string): string => (typeof v === "string" ? v : d);
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
const num = (v: unknown, d: number, lo: number, hi: number): number =>
  typeof v === "number" && Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : d;

function parseColumn(v: unknown): Column | null {
  if (typeof v !== "string") return null;
  const m = /^m:(last|min|max|first):(.+)$/s.exec(v);
  if (m) return { kind: "metric", red: m[1] as Reducer, key: m[2] };
  const p = /^([pt]):(.+)$/s.exec(v);
  if (p) return { kind: p[1] === "p" ? "param" : "tag", key: p[2] };
  return null;
}

function parseChart(v: unknown): ChartSpec | null {
  if (typeof v !== "object" || v === null) return null;
  const o = v as Compact;
  const keys = strs(o.k);
  if (!keys.length) return null;
  const c = newChart(keys, str(o.i, "") || undefined);
  c.x = str(o.x, "step");
  c.logx = o.lx === 1 || o.lx === true;
  c.logy = o.ly === 1 || o.ly === true;
  c.smooth = num(o.s, 0, 0, 0.999);
  c.w = Math.round(num(o.w, 1, 1, 3));
  c.h = Math.round(num(o.h, 260, 120, 1200));
  if (Array.isArray(o.z) && o.z.length === 2 && o.z.every((x) => typeof x === "number" && Number.isFinite(x))) {
    const [a, b] = o.z as number[];
    if (a < b) c.zoom = [a, b];
  }
  return c;
}

export function fromCompact(o: unknown): ViewState {
  const s = defaultState();
  if (typeof o !== "object" || o === null) return s;
  const c = o as Compact;
  s.filter = str(c.f, "");
  s.order = str(c.o, "");
  s.lifecycle = c.l === "deleted" || c.l === "all" ? c.l : "active";
  s.columns = (Array.isArray(c.c) ? c.c : []).map(parseColumn).filter((x): x is Column => x !== null);
  s.selected = strs(c.r);
  s.hidden = strs(c.hd);
  if (typeof c.co === "object" && c.co !== null) {
    for (const [k, v] of Object.entries(c.co)) {
      if (typeof v === "string" && /^#[0-9a-f]{6}$/i.test(v)) s.colors[k] = v;
    }
  }
  s.charts = (Array.isArray(c.ch) ? c.ch : []).map(parseChart).filter((x): x is ChartSpec => x !== null);
  return s;
}

export function toCompact(s: ViewState): Compact {
  return compact(s);
}

// ---- base64url of UTF-8 JSON ----

function b64urlEncode(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function b64urlDecode(s: string): string {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
  const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

/** The view as the URL's `v` parameter; "" for the default view. */
export function encodeState(s: ViewState): string {
  const c = compact(s);
  return Object.keys(c).length ? b64urlEncode(JSON.stringify(c)) : "";
}

/** The view a `v` parameter names; anything unreadable gives the default view, never an error. */
export function decodeState(v: string | null | undefined): ViewState {
  if (!v) return defaultState();
  try {
    return fromCompact(JSON.parse(b64urlDecode(v)));
  } catch {
    return defaultState();
  }
}

/** The API's `x` parameter for a chart's x-axis. */
export function apiX(x: XAxis): string {
  return x.startsWith("metric:") ? x.slice(7) : x;
}
