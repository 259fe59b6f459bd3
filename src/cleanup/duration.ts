import { UsageError } from "../errors.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Go-style durations as werf writes them (`168h`, `1h30m`, `90s`, `0s`), plus `d` and `w`. undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === "0") return 0;
  if (!/^(\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
  return total;
}

export function durationOrThrow(text: string, what: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${what}: "${text}" is not a duration (examples: 2h, 30m, 168h, 7d, 0s)`);
  return ms;
}

/** `2h`, `3d4h`, `45m`, `12s`: for reasons people read. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 60_000) return `${Math.round(abs / 1000)}s`;
  if (abs < 3_600_000) return `${Math.round(abs / 60_000)}m`;
  if (abs < 86_400_000) return `${Math.floor(abs / 3_600_000)}h${Math.round((abs % 3_600_000) / 60_000) || ""}${abs % 3_600_000 >= 30_000 ? "m" : ""}`;
  return `${Math.floor(abs / 86_400_000)}d${Math.floor((abs % 86_400_000) / 3_600_000) || ""}${abs % 86_400_000 >= 3_600_000 ? "h" : ""}`;
}
