/**
 * Where a template came from, so every parse and execution error becomes a ConfigError
 * at the file:line:column the user wrote.
 */
import { ConfigError } from "../../errors.ts";

export interface Source {
  /** The file shown in errors (relative to the project directory). */
  file: string;
  text: string;
  /** A text with no file of its own (a `tpl` string): its lines have no origin to report. */
  virtual?: boolean;
}

export function position(source: Source, pos: number): { line: number; column: number } {
  const before = source.text.slice(0, pos);
  const line = before.split("\n").length;
  return { line, column: pos - before.lastIndexOf("\n") };
}

const lineStarts = new WeakMap<Source, number[]>();

/** The 1-based line of offset `pos`, from a per-source index of line starts. */
export function lineAt(source: Source, pos: number): number {
  let starts = lineStarts.get(source);
  if (!starts) {
    starts = [0];
    for (let i = source.text.indexOf("\n"); i >= 0; i = source.text.indexOf("\n", i + 1)) starts.push(i + 1);
    lineStarts.set(source, starts);
  }
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

export function errorAt(source: Source, pos: number, detail: string): ConfigError {
  const at = position(source, pos);
  return new ConfigError(source.file, at.line, at.column, undefined, detail);
}

const ESCAPES: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", "'": "'", '"': '"' };

/** Go's strconv.Unquote for "..." and `...` literals; undefined when the literal is malformed. */
export function unquote(literal: string): string | undefined {
  if (literal.startsWith("`")) return literal.slice(1, -1).replaceAll("\r", "");
  return unquoteBody(literal.slice(1, -1), literal[0]);
}

/** The body of a quoted Go literal; `quote` is the delimiter that must be escaped. */
export function unquoteBody(body: string, quote: string): string | undefined {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === quote) return undefined;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) return undefined;
    if (e in ESCAPES && (e !== "'" || quote === "'") && (e !== '"' || quote === '"')) {
      out += ESCAPES[e];
    } else if (e === "x" || e === "u" || e === "U") {
      const n = e === "x" ? 2 : e === "u" ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) return undefined;
      out += e === "x" ? Buffer.from([parseInt(hex, 16)]).toString("latin1") : String.fromCodePoint(parseInt(hex, 16));
      i += n;
    } else if (/[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) return undefined;
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
    } else {
      return undefined;
    }
  }
  return out;
}
