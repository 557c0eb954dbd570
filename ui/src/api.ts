// The JSON API of `mlrs ui` (ui/API.md). Every request goes to the page's own origin.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface MetricSummary {
  last: number;
  /** null over a tracking server, which gives only the latest value (ui/API.md). */
  min: number | null;
  max: number | null;
  first: number | null;
  step: number;
  timestamp: number;
}

export interface Run {
  run_id: string;
  run_name: string;
  experiment_id: string;
  status: string;
  start_time: number | null;
  end_time: number | null;
  lifecycle_stage: string;
  user_id: string;
  parent_run_id: string | null;
  metrics: Record<string, MetricSummary>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

export interface RunDetail extends Run {
  description?: string;
  artifact_uri: string;
  inputs: { dataset: Record<string, string>; tags: Record<string, string> }[];
  logged_models: { model_id: string; name: string; status: string; creation_timestamp: number }[];
  model_versions: { name: string; version: string; current_stage: string; aliases: string[] }[];
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number | null;
  last_update_time: number | null;
  tags: Record<string, string>;
}

export interface Series {
  run_id: string;
  key: string;
  raw: boolean;
  total_points: number;
  x: number[];
  step: number[];
  timestamp: number[];
  value: number[];
}

export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size: number | null;
}

/** The API writes NaN and the infinities as strings; turn them back into numbers. */
export function num(v: unknown): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (typeof v === "string" && v !== "") return Number(v);
  return NaN;
}

function numbers(a: unknown): number[] {
  return Array.isArray(a) ? a.map(num) : [];
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["Content-Type"] = "application/json";
  }
  const r = await fetch(path, init);
  const text = await r.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!r.ok) {
    const d = (data ?? {}) as { error_code?: string; message?: string };
    throw new ApiError(r.status, d.error_code ?? `HTTP_${r.status}`, d.message ?? (text || r.statusText));
  }
  return data as T;
}

/** A list parameter: comma-joined, or a JSON array when a key itself holds a comma (ui/API.md). */
export function listParam(items: readonly string[]): string {
  return items.some((x) => x.includes(",") || x.startsWith("[")) ? JSON.stringify(items) : items.join(",");
}

export const get = <T>(path: string) => request<T>("GET", path);

export function qs(params: Record<string, string | number | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
}

function fixMetrics(run: Run): Run {
  for (const m of Object.values(run.metrics ?? {})) {
    m.last = num(m.last);
    m.min = m.min === null ? null : num(m.min);
    m.max = m.max === null ? null : num(m.max);
    m.first = m.first === null ? null : num(m.first);
  }
  run.metrics ??= {};
  run.params ??= {};
  run.tags ??= {};
  return run;
}

export interface RunsPage {
  runs: Run[];
  next_page_token: string | null;
  total: number;
}

export async function searchRuns(p: {
  experimentIds: string[];
  filter: string;
  orderBy: string;
  view: string;
  pageToken?: string | null;
  maxResults?: number;
  metrics: string[];
  params: string[];
  tags: string[];
}): Promise<RunsPage> {
  const page = await get<RunsPage>(
    "/api/runs" +
      qs({
        experiment_ids: listParam(p.experimentIds),
        filter: p.filter,
        order_by: p.orderBy,
        view: p.view,
        page_token: p.pageToken,
        max_results: p.maxResults ?? 100,
        metrics: listParam(p.metrics),
        params: listParam(p.params),
        tags: listParam(p.tags),
      }),
  );
  page.runs.forEach(fixMetrics);
  return page;
}

export async function getRun(id: string): Promise<RunDetail> {
  return fixMetrics(await get<RunDetail>(`/api/runs/${encodeURIComponent(id)}`)) as RunDetail;
}

export async function getSeries(p: {
  runIds: string[];
  keys: string[];
  x: string;
  xMin?: number | null;
  xMax?: number | null;
  points: number;
  afterStep?: number | null;
}): Promise<Series[]> {
  const r = await get<{ series: Series[] }>(
    "/api/series" +
      qs({
        run_ids: listParam(p.runIds),
        keys: listParam(p.keys),
        x: p.x,
        x_min: p.xMin,
        x_max: p.xMax,
        points: Math.max(1, Math.round(p.points)),
        after_step: p.afterStep,
      }),
  );
  for (const s of r.series) {
    s.x = numbers(s.x);
    s.value = numbers(s.value);
    s.step = numbers(s.step);
    s.timestamp = numbers(s.timestamp);
  }
  return r.series;
}

export const artifactUrl = (runId: string, path: string) => `/api/artifact${qs({ run_id: runId, path })}`;
