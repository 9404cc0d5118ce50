// The SVG path of a sparkline: one line per run of measured points (NaN = not running breaks
// the line), and a short dash for a point with no neighbour yet. Pure, so it is tested apart
// from the DOM; the sparkline sets it as one attribute per tick.

/** Path data for `values` (oldest → newest) in a `width`×`height` box, scaled to `max` or above. */
export function sparkPath(values: readonly number[], max: number, width: number, height: number): string {
  let top = max;
  for (const v of values) if (v > top) top = v;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const parts: string[] = [];
  let run = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      run = 0;
      continue;
    }
    const x = +(i * step).toFixed(1);
    const y = +(height - 1 - (Math.min(v, top) / top) * (height - 2)).toFixed(1);
    const next = values[i + 1];
    const alone = run === 0 && (next === undefined || !Number.isFinite(next));
    // A lone point (the first second after opening) shows as a 3 px dash ending at it.
    if (alone) parts.push(`M${+(x - 3).toFixed(1)} ${y}h3`);
    else parts.push(`${run ? "L" : "M"}${x} ${y}`);
    run++;
  }
  return parts.join("");
}
