// The filter box takes MLflow's runs grammar as is; the server parses it (the same parser as
// search_runs) and its error message is shown inline. Text with no `entity.key <op>` clause is a
// quick search of run names (case-insensitive substring), as in MLflow's UI.

const CLAUSE = /[=<>!]|\b(like|ilike|in|is)\b/i;

export function toServerFilter(text: string): string {
  const t = text.trim();
  if (!t || CLAUSE.test(t)) return t;
  const q = t.includes("'") ? (t.includes('"') ? "'" : '"') : "'";
  const body = q === "'" && t.includes("'") ? t.replace(/'/g, "") : t;
  return `attributes.run_name ILIKE ${q}%${body}%${q}`;
}

export const ATTRIBUTES = ["run_id", "run_name", "status", "artifact_uri", "user_id", "start_time", "end_time", "created"];

/**
 * Suggestions for the clause being typed: when the text ends in `metrics.lo`, `params.`,
 * `tags.x` or `attributes.s`, the whole text completed with each key that occurs (at most `max`).
 */
export function completions(
  text: string,
  keys: { metrics: string[]; params: string[]; tags: string[] },
  max = 50,
): string[] {
  const m = /(^|[\s(])(metrics|params|tags|attributes|dataset)\.([\w./-]*)$/i.exec(text);
  if (!m) return [];
  const entity = m[2].toLowerCase();
  const partial = m[3].toLowerCase();
  const pool =
    entity === "metrics" ? keys.metrics
    : entity === "params" ? keys.params
    : entity === "tags" ? keys.tags
    : entity === "dataset" ? ["name", "digest", "context"]
    : ATTRIBUTES;
  const head = text.slice(0, text.length - m[3].length);
  const quote = (k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : "`" + k + "`");
  return pool
    .filter((k) => k.toLowerCase().startsWith(partial))
    .slice(0, max)
    .map((k) => head + quote(k) + " ");
}
