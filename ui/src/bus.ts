// Hovering a run anywhere (a table row, a line in any chart) highlights it everywhere.
type Listener = (runId: string | null) => void;
const listeners = new Set<Listener>();
let current: string | null = null;

export function hoverRun(runId: string | null): void {
  if (runId === current) return;
  current = runId;
  for (const l of listeners) l(runId);
}

export function onHoverRun(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export const hoveredRun = (): string | null => current;
