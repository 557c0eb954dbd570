// Polling for live runs: only while the tab is visible (a hidden tab costs the server nothing),
// never two polls at once, and at once when the tab comes back.

export const POLL_MS = 2000;

export function startPolling(tick: () => Promise<void>, every = POLL_MS): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = false;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, every);
  };
  const run = async () => {
    timer = null;
    if (stopped || running) return;
    if (document.visibilityState !== "visible") return; // resumed by visibilitychange
    running = true;
    try {
      await tick();
    } catch {
      // A failed poll is retried at the next tick; the page shows the last good data.
    } finally {
      running = false;
      schedule();
    }
  };
  const onVis = () => {
    if (document.visibilityState === "visible" && !timer && !running) void run();
  };
  document.addEventListener("visibilitychange", onVis);
  schedule();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVis);
  };
}
