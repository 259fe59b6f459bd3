import { UsageError } from "../errors.ts";

/**
 * The one duration grammar of slipway: Go's `time.ParseDuration` units (ns, us/µs, ms,
 * s, m, h) plus d (24h) and w (7d), one or more `<number><unit>` terms combined as in
 * `1h30m` or `1.5h`, and `0` alone. Settings that document it (the SLIPWAY_* variables)
 * also take a bare number as seconds. No sign, no spaces inside: durations here are
 * lifetimes and windows, never negative.
 */
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86_400e9, w: 604_800e9 };
const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;
const TERM = new RegExp(`(${NUMBER})(ns|us|µs|ms|s|m|h|d|w)`, "g");
const WHOLE = new RegExp(`^(?:${NUMBER}(?:ns|us|µs|ms|s|m|h|d|w))+$`);
const BARE = new RegExp(`^${NUMBER}$`);

export interface DurationOptions {
  /** A bare number means seconds (only where the setting documents it). */
  bareSeconds?: boolean;
}

/** Nanoseconds (as image configs store HEALTHCHECK times); undefined when `text` is not a duration. */
export function parseDurationNs(text: string, opts: DurationOptions = {}): number | undefined {
  const s = text.trim();
  if (s === "0") return 0;
  if (opts.bareSeconds && BARE.test(s)) return Math.round(Number(s) * 1e9);
  if (!WHOLE.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(TERM)) total += Number(m[1]) * UNIT_NS[m[2]];
  return Math.round(total);
}

/** Milliseconds; undefined when `text` is not a duration. */
export function parseDuration(text: string, opts: DurationOptions = {}): number | undefined {
  const ns = parseDurationNs(text, opts);
  return ns === undefined ? undefined : Math.round(ns / 1e6);
}

/** For an optional field of an image config: undefined stays undefined, anything else must parse. */
export function durationNs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ns = parseDurationNs(text);
  if (ns === undefined) throw new UsageError(`invalid duration ${JSON.stringify(text)}`);
  return ns;
}

/** Milliseconds from a command-line flag, or a UsageError naming the flag. */
export function durationOrThrow(text: string, what: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${what}: "${text}" is not a duration (examples: 2h, 1h30m, 168h, 7d, 0s)`);
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
