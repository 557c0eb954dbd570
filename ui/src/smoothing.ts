// Exponential moving average as TensorBoard draws it: debiased, so the first points are not pulled
// towards zero, computed over the raw points in order. Non-finite values pass through unsmoothed
// and do not enter the average (a NaN would otherwise poison every later point).

/** Smooth `values` with weight `w` in [0, 1): 0 returns the values, 0.99 is very smooth. */
export function ema(values: ArrayLike<number>, w: number): number[] {
  const out = new Array<number>(values.length);
  if (!(w > 0)) {
    for (let i = 0; i < values.length; i++) out[i] = values[i];
    return out;
  }
  const weight = Math.min(w, 0.999);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n += 1;
    out[i] = last / (1 - Math.pow(weight, n));
  }
  return out;
}
