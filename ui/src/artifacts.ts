// Artifact browser: a lazily listed tree and a preview chosen by file type. Big text files are
// read a chunk at a time with HTTP Range; HTML is shown in a sandboxed iframe with no same-origin.
import { artifactUrl, get, qs, type FileInfo } from "./api";
import { clear, errorBox, fmtBytes, h } from "./dom";

const TEXT_CHUNK = 256 * 1024;
const TABLE_ROWS = 1000;
const MAX_JSON = 8 * 1024 * 1024;

const IMAGE = /\.(png|jpe?g|gif|bmp|svg|webp)$/i;
const TABLE = /\.(csv|tsv)$/i;
const JSONX = /\.json$/i;
const HTML = /\.html?$/i;
const YAMLX = /(^|\/)(MLmodel|MLproject)$|\.(ya?ml)$/i;
const TEXT =
  /\.(txt|log|err|out|cfg|ini|toml|md|py|sh|r|java|scala|go|rs|js|ts|c|h|cpp|sql|xml|conf|requirements|lock|pip)$|(^|\/)(requirements\.txt|conda\.yaml|python_env\.yaml|LICENSE|README)$/i;

export function artifactBrowser(runId: string, initialPath = ""): HTMLElement {
  const tree = h("div", { class: "art-tree", "data-role": "artifact-tree" });
  const preview = h("div", { class: "art-preview", "data-role": "artifact-preview" }, h("div", { class: "muted" }, "Select a file to preview it."));
  const rootLabel = h("div", { class: "muted small" });
  const el = h("div", { class: "artifacts" }, h("div", { class: "art-left" }, rootLabel, tree), preview);

  const list = async (path: string, into: HTMLElement, depth: number) => {
    try {
      const r = await get<{ root_uri: string; files: FileInfo[] }>(`/api/artifacts${qs({ run_id: runId, path })}`);
      if (!path) rootLabel.textContent = r.root_uri;
      const files = [...(r.files ?? [])].sort((a, b) => Number(b.is_dir) - Number(a.is_dir) || a.path.localeCompare(b.path));
      if (!files.length && !path) into.append(h("div", { class: "muted" }, "No artifacts."));
      for (const f of files) {
        const name = f.path.split("/").pop() ?? f.path;
        const item = h("div", { class: "art-item", style: `padding-left:${depth * 14}px`, "data-path": f.path });
        if (f.is_dir) {
          const children = h("div", { hidden: true });
          let loaded = false;
          const label = h("button", { class: "linklike" }, `▸ ${name}/`);
          label.addEventListener("click", async () => {
            children.hidden = !children.hidden;
            label.textContent = `${children.hidden ? "▸" : "▾"} ${name}/`;
            if (!loaded) {
              loaded = true;
              await list(f.path, children, depth + 1);
            }
          });
          item.append(label);
          into.append(item, children);
        } else {
          const label = h("button", { class: "linklike" }, name);
          label.addEventListener("click", () => {
            for (const x of tree.querySelectorAll(".art-item.active")) x.classList.remove("active");
            item.classList.add("active");
            void show(f, preview, runId);
          });
          item.append(label, h("span", { class: "muted small" }, ` ${fmtBytes(f.file_size)}`));
          into.append(item);
          if (f.path === initialPath) label.click();
        }
      }
    } catch (e) {
      into.append(errorBox(e));
    }
  };
  void list("", tree, 0);
  return el;
}

async function fetchRange(url: string, start: number, end: number): Promise<{ text: string; total: number | null; partial: boolean }> {
  const r = await fetch(url, { headers: { Range: `bytes=${start}-${end - 1}` } });
  if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
  const m = /\/(\d+)$/.exec(r.headers.get("Content-Range") ?? "");
  const buf = new Uint8Array(await r.arrayBuffer());
  // A chunk may end inside a UTF-8 sequence; the decoder replaces the fragment, the next chunk starts clean enough.
  const total = m ? Number(m[1]) : null;
  // Partial only when the file goes on past this chunk (a 206 may cover the whole file).
  return { text: new TextDecoder().decode(buf), total, partial: r.status === 206 && (total === null || total > end) };
}

async function show(f: FileInfo, box: HTMLElement, runId: string): Promise<void> {
  clear(box);
  const url = artifactUrl(runId, f.path);
  const head = h(
    "div",
    { class: "art-head" },
    h("b", {}, f.path),
    h("span", { class: "muted" }, ` ${fmtBytes(f.file_size)} `),
    h("a", { href: url, download: f.path.split("/").pop() ?? "artifact" }, "Download"),
  );
  const body = h("div", { class: "art-body", "data-kind": "" });
  box.append(head, body);
  try {
    if (IMAGE.test(f.path)) {
      body.dataset.kind = "image";
      body.append(h("img", { src: url, alt: f.path, class: "art-img" }));
    } else if (HTML.test(f.path)) {
      body.dataset.kind = "html";
      // No allow-same-origin: the page cannot read this app's API or storage.
      body.append(h("iframe", { src: url, sandbox: "allow-scripts", class: "art-frame", title: f.path, referrerpolicy: "no-referrer" }));
    } else if (TABLE.test(f.path)) {
      body.dataset.kind = "table";
      const { text, partial } = await fetchRange(url, 0, 4 * 1024 * 1024);
      body.append(csvTable(text, f.path.toLowerCase().endsWith(".tsv") ? "\t" : ",", partial));
    } else if (JSONX.test(f.path) && (f.file_size ?? 0) <= MAX_JSON) {
      body.dataset.kind = "json";
      const text = await (await fetch(url)).text();
      let shown: HTMLElement;
      try {
        const data: unknown = JSON.parse(text);
        shown = jsonTable(data) ?? h("pre", { class: "code" }, JSON.stringify(data, null, 2));
      } catch {
        shown = h("pre", { class: "code" }, text);
      }
      body.append(shown);
    } else if (YAMLX.test(f.path) || TEXT.test(f.path) || (f.file_size ?? 0) < 64 * 1024) {
      body.dataset.kind = YAMLX.test(f.path) ? "yaml" : "text";
      await textView(url, body, f.file_size ?? null);
    } else {
      body.dataset.kind = "binary";
      body.append(h("div", { class: "muted" }, "No preview for this file type."));
    }
  } catch (e) {
    body.append(errorBox(e));
  }
}

/** Text read a chunk at a time with HTTP Range: the first screen of a huge log arrives at once. */
async function textView(url: string, body: HTMLElement, size: number | null): Promise<void> {
  const pre = h("pre", { class: "code", "data-role": "text" });
  const more = h("button", { hidden: true }, "Load more");
  const note = h("div", { class: "muted small" });
  body.append(pre, note, more);
  let offset = 0;
  const next = async () => {
    const { text, total, partial } = await fetchRange(url, offset, offset + TEXT_CHUNK);
    pre.append(text);
    const all = total ?? size;
    offset += TEXT_CHUNK;
    const done = !partial || (all !== null && offset >= all);
    more.hidden = done;
    note.textContent = done ? "" : `Showing ${fmtBytes(Math.min(offset, all ?? offset))} of ${fmtBytes(all)} (read with HTTP Range)`;
  };
  more.addEventListener("click", () => void next());
  await next();
}

/** A CSV/TSV parser for previews: quoted fields, doubled quotes, newlines inside quotes. */
export function parseDelimited(text: string, sep: string, maxRows: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === sep) {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      if (rows.length >= maxRows + 1) return rows;
    } else field += ch;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function csvTable(text: string, sep: string, partial: boolean): HTMLElement {
  const rows = parseDelimited(text, sep, TABLE_ROWS);
  if (partial && rows.length > 1) rows.pop(); // the last line of a partial read may be cut
  const [header, ...body] = rows;
  const shown = body.slice(0, TABLE_ROWS);
  return h(
    "div",
    { class: "table-wrap" },
    h("div", { class: "muted small" }, `${shown.length} rows shown${body.length > TABLE_ROWS || partial ? " (first rows only)" : ""}`),
    h(
      "table",
      { class: "grid" },
      h("thead", {}, h("tr", {}, ...(header ?? []).map((c) => h("th", {}, c)))),
      h("tbody", {}, ...shown.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))),
    ),
  );
}

/** MLflow's log_table JSON ({"columns": [...], "data": [[...]]}) as a table; else null. */
function jsonTable(data: unknown): HTMLElement | null {
  const d = data as { columns?: unknown; data?: unknown };
  if (!d || !Array.isArray(d.columns) || !Array.isArray(d.data)) return null;
  const rows = (d.data as unknown[]).slice(0, TABLE_ROWS);
  const cell = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  return h(
    "table",
    { class: "grid" },
    h("thead", {}, h("tr", {}, ...(d.columns as unknown[]).map((c) => h("th", {}, cell(c))))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...(Array.isArray(r) ? r : [r]).map((c) => h("td", {}, cell(c)))))),
  );
}
