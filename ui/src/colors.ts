// Per-run colours: a run keeps its colour wherever it appears (table, every chart, the run page),
// whatever page of the table it was loaded with, because the colour derives from the run id.
// Runs shown together get distinct palette entries while the palette lasts; the user's choice
// (kept in the view) overrides.

// Okabe-Ito's colour-blind-safe set (its yellow swapped for a purple that shows on white)
// followed by Tableau-like hues.
export const PALETTE = [
  "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#7f3c8d", "#000000",
  "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
  "#9c755f", "#11a579",
];

/** FNV-1a over the id's UTF-16 units: stable across sessions and machines. */
export function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Colours for `runIds` (in display order). Overrides win; the others take the palette slot their
 * hash names, moving to the next free slot when a run shown earlier holds it. Past the palette's
 * size, slots are shared.
 */
export function assignColors(
  runIds: readonly string[],
  overrides: Readonly<Record<string, string>> = {},
): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<number>();
  for (const id of runIds) {
    const chosen = overrides[id];
    if (chosen !== undefined) {
      out.set(id, chosen);
      const i = PALETTE.indexOf(chosen);
      if (i >= 0) used.add(i);
    }
  }
  for (const id of runIds) {
    if (out.has(id)) continue;
    let slot = hashId(id) % PALETTE.length;
    if (used.size < PALETTE.length) {
      while (used.has(slot)) slot = (slot + 1) % PALETTE.length;
    }
    used.add(slot);
    out.set(id, PALETTE[slot]);
  }
  return out;
}

/** `#rrggbb` with an alpha in [0, 1] as an `rgba()` string, for faded lines and highlights. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  const [r, g, b] = [m[1], m[2], m[3]].map((x) => parseInt(x, 16));
  return `rgba(${r},${g},${b},${alpha})`;
}
