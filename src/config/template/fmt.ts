/**
 * The part of Go's fmt package templates reach through printf, print and println:
 * the verbs %v %s %d %q %x %X %o %b %c %t %f %F %e %E %g %G %T %% with flags
 * (`-`, `+`, `#`, ` `, `0`), width and precision, and Go's in-band errors
 * (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA ...)`).
 */
import { formatFloatG, formatNumber, formatValue, GoStruct, isInt, isMap, sortedKeys, typeName } from "./values.ts";

interface Spec { minus: boolean; plus: boolean; sharp: boolean; space: boolean; zero: boolean; width?: number; prec?: number; verb: string }

export function sprintf(format: string, args: unknown[]): string {
  let out = "";
  let argi = 0;
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== "%") {
      out += format[i];
      continue;
    }
    const [spec, end] = parseSpec(format, i + 1);
    i = end;
    if (spec.verb === "") {
      out += "%!(NOVERB)";
      break;
    }
    if (spec.verb === "%") out += "%";
    else if (argi >= args.length) out += `%!${spec.verb}(MISSING)`;
    else out += pad(formatArg(args[argi++], spec), spec);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args.slice(argi).map((a) => `${typeName(a)}=${formatValue(a, true)}`).join(", ")})`;
  }
  return out;
}

/** Flags, width, precision and verb of the directive starting at `i` (after the `%`); returns the verb's index. */
function parseSpec(format: string, i: number): [Spec, number] {
  const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, verb: "" };
  const flags: Record<string, keyof Spec> = { "-": "minus", "+": "plus", "#": "sharp", " ": "space", "0": "zero" };
  for (; i < format.length && format[i] in flags; i++) (spec[flags[format[i]]] as boolean) = true;
  const width = /^\d+/.exec(format.slice(i));
  if (width) {
    spec.width = Number(width[0]);
    i += width[0].length;
  }
  if (format[i] === ".") {
    const prec = /^\d*/.exec(format.slice(i + 1))![0];
    spec.prec = Number(prec || "0");
    i += 1 + prec.length;
  }
  spec.verb = format[i] ?? "";
  return [spec, i];
}

function pad(s: string, spec: Spec): string {
  if (spec.width === undefined || s.length >= spec.width) return s;
  const fill = spec.width - s.length;
  if (spec.minus) return s + " ".repeat(fill);
  if (spec.zero && /[dfFeEgGxXob]/.test(spec.verb)) {
    const sign = /^[+-]/.test(s) ? s[0] : "";
    return sign + "0".repeat(fill) + s.slice(sign.length);
  }
  return " ".repeat(fill) + s;
}

function bad(v: unknown, verb: string): string {
  return v === null || v === undefined ? `%!${verb}(<nil>)` : `%!${verb}(${typeName(v)}=${formatValue(v, true)})`;
}

function formatArg(v: unknown, spec: Spec): string {
  const { verb } = spec;
  if (verb === "T") return typeName(v);
  if (verb === "v") return spec.sharp ? goSyntax(v) : formatValue(v, true);
  if (Array.isArray(v)) return `[${v.map((x) => formatArg(x, { ...spec, width: undefined })).join(" ")}]`;
  if (isMap(v)) return `map[${sortedKeys(v).map((k) => `${k}:${formatArg(v[k], { ...spec, width: undefined })}`).join(" ")}]`;
  if (typeof v === "string") return formatString(v, spec);
  if (typeof v === "number") return formatNum(v, spec);
  if (typeof v === "boolean") return verb === "t" ? String(v) : bad(v, verb);
  return bad(v, verb);
}

function formatString(s: string, spec: Spec): string {
  const text = spec.prec !== undefined ? [...s].slice(0, spec.prec).join("") : s;
  switch (spec.verb) {
    case "s": return text;
    case "q": return spec.sharp && !text.includes("`") ? `\`${text}\`` : goQuote(text);
    case "x": case "X": {
      const hex = Buffer.from(text, "utf8").toString("hex");
      return spec.verb === "X" ? hex.toUpperCase() : hex;
    }
    default: return bad(s, spec.verb);
  }
}

function formatNum(n: number, spec: Spec): string {
  const sign = (s: string) => (n >= 0 || Number.isNaN(n) ? (spec.plus ? "+" : spec.space ? " " : "") + s : s);
  if (isInt(n) && "dboxXcqU".includes(spec.verb)) {
    const abs = BigInt(Math.abs(n));
    const neg = n < 0 ? "-" : "";
    switch (spec.verb) {
      case "d": return sign(neg + abs.toString());
      case "b": return sign(neg + abs.toString(2));
      case "o": return sign(neg + (spec.sharp ? "0" : "") + abs.toString(8));
      case "x": return sign(neg + (spec.sharp ? "0x" : "") + abs.toString(16));
      case "X": return sign(neg + (spec.sharp ? "0X" : "") + abs.toString(16).toUpperCase());
      case "c": return String.fromCodePoint(n);
      case "q": return `'${goQuote(String.fromCodePoint(n)).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
      case "U": return `U+${abs.toString(16).toUpperCase().padStart(4, "0")}`;
    }
  }
  switch (spec.verb) {
    case "f": case "F": return sign(n.toFixed(spec.prec ?? 6));
    case "e": case "E": {
      const [m, e] = n.toExponential(spec.prec ?? 6).split("e");
      const exp = `e${e[0]}${e.slice(1).padStart(2, "0")}`;
      const s = sign(m + exp);
      return spec.verb === "E" ? s.toUpperCase() : s;
    }
    case "g": case "G": {
      const s = sign(formatFloatG(n, spec.prec ?? -1));
      return spec.verb === "G" ? s.toUpperCase() : s;
    }
    case "s": return bad(n, "s");
  }
  return bad(n, spec.verb);
}

/** `%#v`: Go syntax for the common shapes. */
function goSyntax(v: unknown): string {
  if (typeof v === "string") return goQuote(v);
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "number") return formatNumber(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSyntax).join(", ")}}`;
  if (v instanceof GoStruct) return `${v.typeName}{}`;
  if (isMap(v)) return `map[string]interface {}{${sortedKeys(v).map((k) => `${goQuote(k)}:${goSyntax(v[k])}`).join(", ")}}`;
  return String(v);
}

const QUOTE_ESCAPES: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"' };

/** strconv.Quote: Go's double-quoted form, printable Unicode kept as is. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch in QUOTE_ESCAPES) out += QUOTE_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (/[\p{C}\p{Zl}\p{Zp}]/u.test(ch) || (/\p{Z}/u.test(ch) && ch !== " ")) {
      out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, "0")}` : `\\u${cp.toString(16).padStart(4, "0")}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** fmt.Sprint: a space between operands when neither is a string. */
export function sprint(args: unknown[]): string {
  let out = "";
  for (const [i, a] of args.entries()) {
    if (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += formatValue(a, true);
  }
  return out;
}

/** fmt.Sprintln: always a space between operands, and a newline. */
export function sprintln(args: unknown[]): string {
  return `${args.map((a) => formatValue(a, true)).join(" ")}\n`;
}
