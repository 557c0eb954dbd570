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
