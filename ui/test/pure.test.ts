import { describe, expect, it } from "vitest";
import { ema } from "../src/smoothing";
import { assignColors, PALETTE, hashId, withAlpha } from "../src/colors";
import { decodeState, defaultState, encodeState, newChart, type ViewState } from "../src/state";

describe("ema", () => {
  it("is TensorBoard's debiased EMA", () => {
    const w = 0.6;
    const v = [1, 2, 3, 10];
    // Reference written out by hand: last_n = w*last + (1-w)*v, divided by 1 - w^n.
    let last = 0;
    const want = v.map((x, i) => {
      last = last * w + (1 - w) * x;
      return last / (1 - w ** (i + 1));
    });
    const got = ema(v, w);
    got.forEach((g, i) => expect(Math.abs(g - want[i]) / want[i]).toBeLessThan(1e-12));
    expect(got[0]).toBe(1); // debiased: the first point is itself
  });
  it("weight 0 returns the values", () => {
    expect(ema([3, 1, 2], 0)).toEqual([3, 1, 2]);
  });
  it("passes NaN and infinities through without poisoning later points", () => {
    const got = ema([1, NaN, 1, Infinity, 1], 0.9);
    expect(got[1]).toBeNaN();
    expect(got[3]).toBe(Infinity);
    expect(got[4]).toBeCloseTo(1, 12);
  });
  it("a constant stays constant", () => {
    for (const x of ema(new Array(1000).fill(5), 0.99)) expect(x).toBeCloseTo(5, 9);
  });
});

describe("colours", () => {
  it("are stable and distinct while the palette lasts", () => {
    const ids = Array.from({ length: PALETTE.length }, (_, i) => `run${i}`);
    const a = assignColors(ids);
    expect(new Set(a.values()).size).toBe(PALETTE.length);
    const b = assignColors(ids);
    expect([...b.entries()]).toEqual([...a.entries()]);
  });
  it("a run's colour does not depend on unrelated runs shown after it", () => {
    const alone = assignColors(["abc"]).get("abc");
    expect(assignColors(["abc", "def", "ghi"]).get("abc")).toBe(alone);
    expect(alone).toBe(PALETTE[hashId("abc") % PALETTE.length]);
  });
  it("overrides win and their slot is not handed out again", () => {
    const ids = ["a", "b", "c"];
    const natural = assignColors(ids).get("b")!;
    const got = assignColors(ids, { a: natural });
    expect(got.get("a")).toBe(natural);
    expect(got.get("b")).not.toBe(natural);
  });
  it("withAlpha", () => {
    expect(withAlpha("#ff0080", 0.5)).toBe("rgba(255,0,128,0.5)");
  });
});

describe("URL state", () => {
  it("the default view encodes to nothing", () => {
    expect(encodeState(defaultState())).toBe("");
    expect(decodeState("")).toEqual(defaultState());
  });
  it("round-trips every field", () => {
    const s: ViewState = defaultState();
    s.filter = "metrics.loss < 0.5 and params.opt = 'adam'";
    s.order = "metrics.`loss` DESC";
    s.lifecycle = "all";
    s.columns = [
      { kind: "metric", key: "val:loss", red: "min" },
      { kind: "param", key: "lr" },
      { kind: "tag", key: "mlflow.user" },
    ];
    s.selected = ["r1", "r2"];
    s.hidden = ["r2"];
    s.colors = { r1: "#123abc" };
    const c = newChart(["loss", "acc"], "c1");
    c.x = "metric:epoch";
    c.logy = true;
    c.smooth = 0.8;
    c.w = 2;
    c.h = 400;
    c.zoom = [10, 200.5];
    s.charts = [c, newChart(["é/ünïcode"], "c2")];
    const v = encodeState(s);
    expect(v).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeState(v)).toEqual(s);
  });
  it("garbage and hostile values give a sane view", () => {
    expect(decodeState("%%%")).toEqual(defaultState());
    expect(decodeState(btoa("[1,2]"))).toEqual(defaultState());
    const evil = btoa(JSON.stringify({ co: { r: "red;background:url(x)" }, ch: [{ k: ["a"], w: 99, h: -5, z: [5, 1] }] }));
    const s = decodeState(evil);
    expect(s.colors).toEqual({});
    expect(s.charts[0].w).toBe(3);
    expect(s.charts[0].h).toBe(120);
    expect(s.charts[0].zoom).toBeNull();
  });
  it("a view with ten charts and columns stays well under 2,000 characters", () => {
    const s = defaultState();
    s.columns = ["loss", "acc", "f1"].map((key) => ({ kind: "metric" as const, key, red: "last" as const }));
    s.charts = Array.from({ length: 10 }, (_, i) => newChart([`metric_${i}`], `c${i}`));
    s.selected = Array.from({ length: 5 }, (_, i) => `${i}`.repeat(32));
    expect(encodeState(s).length).toBeLessThan(2000);
  });
});

import { completions, toServerFilter } from "../src/filter";
describe("filter box", () => {
  it("passes MLflow's grammar through untouched", () => {
    const f = "metrics.loss < 0.5 and params.opt = 'adam'";
    expect(toServerFilter(f)).toBe(f);
    expect(toServerFilter("tags.x LIKE 'a%'")).toBe("tags.x LIKE 'a%'");
  });
  it("plain text searches run names", () => {
    expect(toServerFilter("  brave ")).toBe("attributes.run_name ILIKE '%brave%'");
    expect(toServerFilter("bob's")).toBe(`attributes.run_name ILIKE "%bob's%"`);
    expect(toServerFilter("")).toBe("");
  });
});

describe("filter autocomplete", () => {
  const keys = { metrics: ["loss", "val/loss", "acc"], params: ["lr"], tags: ["team"] };
  it("completes the clause being typed with keys that occur", () => {
    expect(completions("params.lr = '1' and metrics.l", keys)).toEqual(["params.lr = '1' and metrics.loss "]);
    expect(completions("metrics.", keys)).toEqual(["metrics.loss ", "metrics.`val/loss` ", "metrics.acc "]);
    expect(completions("attributes.st", keys)).toEqual(["attributes.status ", "attributes.start_time "]);
  });
  it("offers nothing outside a key", () => {
    expect(completions("metrics.loss < 0", keys)).toEqual([]);
    expect(completions("", keys)).toEqual([]);
  });
});
