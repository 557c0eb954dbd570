import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startPolling } from "../src/live";

// A stand-in for the page's document: only what startPolling reads.
class FakeDocument extends EventTarget {
  visibilityState: "visible" | "hidden" = "visible";
  show(v: "visible" | "hidden") {
    this.visibilityState = v;
    this.dispatchEvent(new Event("visibilitychange"));
  }
}

describe("live polling", () => {
  let doc: FakeDocument;
  beforeEach(() => {
    vi.useFakeTimers();
    doc = new FakeDocument();
    vi.stubGlobal("document", doc);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("polls while visible, stops in a hidden tab, resumes at once when shown", async () => {
    let calls = 0;
    const stop = startPolling(async () => {
      calls++;
    }, 1000);
    await vi.advanceTimersByTimeAsync(3000);
    expect(calls).toBe(3);
    doc.show("hidden");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(3);
    doc.show("visible");
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(4);
    stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(4);
  });

  it("never runs two polls at once and survives a failing poll", async () => {
    let active = 0;
    let most = 0;
    let calls = 0;
    const stop = startPolling(async () => {
      calls++;
      active++;
      most = Math.max(most, active);
      await new Promise((r) => setTimeout(r, 2500));
      active--;
      if (calls === 1) throw new Error("server went away");
    }, 1000);
    await vi.advanceTimersByTimeAsync(12_000);
    expect(most).toBe(1);
    expect(calls).toBeGreaterThanOrEqual(3);
    stop();
  });
});
