/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median of an empty list");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * peer / slipway. A zero denominator has no finite ratio: undefined when both are
 * zero (nothing to compare), Infinity when only slipway is zero.
 */
export function ratio(peer: number, slipway: number): number | undefined {
  if (slipway === 0) return peer === 0 ? undefined : Infinity;
  return peer / slipway;
}

export function formatRatio(r: number | undefined): string {
  if (r === undefined) return "–";
  if (r === Infinity) return "∞";
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}x`;
}

export function formatSeconds(s: number): string {
  return s.toFixed(2);
}

/** Bytes as MB (10^6), with enough precision that a small upload is not shown as zero. */
export function formatMB(bytes: number): string {
  if (bytes === 0) return "0";
  const mb = bytes / 1e6;
  return mb >= 10 ? mb.toFixed(1) : mb >= 0.01 ? mb.toFixed(2) : "<0.01";
}
