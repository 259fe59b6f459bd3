const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go-style duration ("1m30s", "5s") to nanoseconds, as image configs store them. */
export function durationNs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * UNIT_NS[m[2]];
    consumed += m[0].length;
  }
  if (consumed !== text.length) throw new Error(`invalid duration ${JSON.stringify(text)}`);
  return Math.round(total);
}
