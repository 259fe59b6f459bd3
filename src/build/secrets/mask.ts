/**
 * Hides secret values in text: command output (streamed, so a value split across two
 * chunks is still found: the tail that could start a value is held back until the next
 * chunk or the end) and error messages.
 */
const MASK = Buffer.from("****");

/** Replaces every occurrence of any value in `text`, longest first (one value may contain another). */
export function maskText(text: string, values: readonly Buffer[]): string {
  let out = text;
  for (const v of sortedTexts(values)) out = out.split(v).join(MASK.toString());
  return out;
}

function sortedTexts(values: readonly Buffer[]): string[] {
  return values.map((v) => v.toString("utf8")).filter((v) => v.trim() !== "").sort((a, b) => b.length - a.length);
}

/** A streaming masker: `push` returns what may be shown now, `end` the rest. `values` is read on every chunk (it may grow). */
export class StreamMask {
  #held: Buffer = Buffer.alloc(0);
  constructor(private readonly values: () => readonly Buffer[]) {}

  push(chunk: Buffer): Buffer {
    const values = this.values().filter((v) => v.toString("utf8").trim() !== "");
    if (values.length === 0) {
      const out = Buffer.concat([this.#held, chunk]);
      this.#held = Buffer.alloc(0);
      return out;
    }
    const data = replaceAll(Buffer.concat([this.#held, chunk]), values);
    const keep = heldTail(data, values);
    this.#held = data.subarray(data.length - keep);
    return data.subarray(0, data.length - keep);
  }

  end(): Buffer {
    const out = this.#held;
    this.#held = Buffer.alloc(0);
    return out;
  }
}

function replaceAll(data: Buffer, values: readonly Buffer[]): Buffer {
  const sorted = [...values].sort((a, b) => b.length - a.length);
  const parts: Buffer[] = [];
  let from = 0;
  let i = 0;
  while (i < data.length) {
    const hit = sorted.find((v) => data.length - i >= v.length && data.subarray(i, i + v.length).equals(v));
    if (hit) {
      parts.push(data.subarray(from, i), MASK);
      i += hit.length;
      from = i;
    } else i++;
  }
  parts.push(data.subarray(from));
  return Buffer.concat(parts);
}

/** The length of the longest tail of `data` that is a proper prefix of some value. */
function heldTail(data: Buffer, values: readonly Buffer[]): number {
  const longest = Math.max(...values.map((v) => v.length));
  for (let n = Math.min(longest - 1, data.length); n > 0; n--) {
    const tail = data.subarray(data.length - n);
    if (values.some((v) => v.length > n && v.subarray(0, n).equals(tail))) return n;
  }
  return 0;
}

/** The progress sink with secret values masked in command output, per stage stream. */
export function maskedProgress<S extends { stageStarted: (...a: never[]) => void; stageFinished(image: string, report: { name: string }): void; commandOutput(image: string, stage: string, chunk: Buffer): void }>(
  sink: S, values: () => readonly Buffer[],
): S {
  const streams = new Map<string, StreamMask>();
  const key = (image: string, stage: string) => `${image}\0${stage}`;
  return {
    ...sink,
    stageStarted: sink.stageStarted.bind(sink),
    stageFinished(image: string, report: { name: string }) {
      const rest = streams.get(key(image, report.name))?.end();
      streams.delete(key(image, report.name));
      if (rest && rest.length > 0) sink.commandOutput(image, report.name, rest);
      sink.stageFinished(image, report);
    },
    commandOutput(image: string, stage: string, chunk: Buffer) {
      let mask = streams.get(key(image, stage));
      if (!mask) streams.set(key(image, stage), (mask = new StreamMask(values)));
      const shown = mask.push(chunk);
      if (shown.length > 0) sink.commandOutput(image, stage, shown);
    },
  };
}

/** The error with every secret value masked in its message (and its problems'), class and data kept. */
export function maskError(err: unknown, values: readonly Buffer[]): unknown {
  if (!(err instanceof Error) || values.length === 0) return err;
  err.message = maskText(err.message, values);
  const problems = (err as { problems?: readonly Error[] }).problems;
  for (const p of problems ?? []) if (p !== err) p.message = maskText(p.message, values);
  return err;
}
