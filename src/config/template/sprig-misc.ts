/**
 * Sprig's defaults, math, conversion, encoding, regex and type functions, plus werf's
 * own toYaml/fromYaml (werf replaces Sprig's: yaml.v2, trailing newline trimmed).
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { Func } from "./exec.ts";
import { fn, variadic } from "./set.ts";
import { int, isEmpty, isInt, isMap, sortedKeys, str, strval, toFloat, toInt, typeName } from "./values.ts";

export function eqDeep(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => eqDeep(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = sortedKeys(a);
    return eqDeep(ka, sortedKeys(b)) && ka.every((k) => eqDeep(a[k], b[k]));
  }
  return a === b || ((a === null || a === undefined) && (b === null || b === undefined));
}

/** encoding/json.Marshal: sorted map keys, HTML characters escaped. */
export function toJson(v: unknown, indent = ""): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sort) : isMap(x) ? Object.fromEntries(sortedKeys(x).map((k) => [k, sort(x[k])])) : x === undefined ? null : x;
  return (JSON.stringify(sort(v), null, indent) ?? "null")
    .replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** yaml.v2's Marshal as werf's toYaml uses it: sorted keys, sequences not indented, no trailing newline. */
export function toYaml(v: unknown): string {
  if (v === undefined || v === null) return "null";
  return stringifyYaml(v, { sortMapEntries: true, indentSeq: false, lineWidth: 0 }).replace(/\n$/, "");
}

function fromYaml(s: unknown): unknown {
  const value = parseYaml(str(s)) as unknown;
  if (value === null || value === undefined) return {};
  if (!isMap(value)) throw new Error(`yaml: unmarshal errors:\n  cannot unmarshal ${typeName(value)} into Go value of type map[string]interface {}`);
  return value;
}

/** Go's regexp syntax where it differs from JavaScript's: named groups and `${1}` in replacements. */
function regex(pattern: unknown, flags = ""): RegExp {
  const src = str(pattern).replace(/\(\?P</g, "(?<");
  const inline = /^\(\?([imsU]+)\)/.exec(src);
  const extra = inline ? inline[1].replace("U", "") : "";
  try {
    return new RegExp(inline ? src.slice(inline[0].length) : src, flags + extra);
  } catch (err) {
    throw new Error(`regexp: Compile(${JSON.stringify(str(pattern))}): ${(err as Error).message}`);
  }
}

function goReplacement(repl: string): string {
  return repl.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => {
    const name = a ?? b!;
    return /^\d+$/.test(name) ? `$${name}` : `$<${name}>`;
  });
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

function b64dec(s: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return `illegal base64 data at input byte ${Math.max(s.search(/[^A-Za-z0-9+/=]/), 0)}`;
  return Buffer.from(s, "base64").toString("utf8");
}

function kindName(v: unknown): string {
  if (v === null || v === undefined) return "invalid";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return isInt(v) ? "int" : "float64";
  if (Array.isArray(v)) return "slice";
  return isMap(v) ? "map" : "struct";
}

function intDiv(a: number, b: number): number {
  if (b === 0) throw new Error("runtime error: integer divide by zero");
  return Math.trunc(a / b);
}

export function miscFuncs(): Map<string, Func> {
  const i2 = (f: (a: number, b: number) => number): Func => fn((a: unknown, b: unknown) => f(toInt(a), toInt(b)));
  const f2 = (f: (a: number, b: number) => number): Func => fn((a: unknown, b: unknown) => f(toFloat(a), toFloat(b)));
  const hash = (alg: string): Func => fn((s: unknown) => createHash(alg).update(str(s), "utf8").digest("hex"));
  return new Map<string, Func>([
    ["default", fn((d: unknown, given?: unknown) => (isEmpty(given) ? d : given), 1, 2)],
    ["empty", fn(isEmpty)],
    ["coalesce", variadic((...v: unknown[]) => v.find((x) => !isEmpty(x)) ?? null)],
    ["all", variadic((...v: unknown[]) => v.every((x) => !isEmpty(x)))],
    ["any", variadic((...v: unknown[]) => v.some((x) => !isEmpty(x)))],
    ["ternary", fn((a: unknown, b: unknown, c: unknown) => {
      if (typeof c !== "boolean") throw new Error(`wrong type for value; expected bool; got ${typeName(c)}`);
      return c ? a : b;
    })],
    ["fail", fn((msg: unknown) => { throw new Error(str(msg)); })],
    ["toString", fn(strval)],
    ["atoi", fn((s: unknown) => (/^[+-]?\d+$/.test(str(s)) ? Number(str(s)) : 0))],
    ["int", fn(toInt)],
    ["int64", fn(toInt)],
    ["float64", fn(toFloat)],
    ["toDecimal", fn((v: unknown) => (/^[+-]?[0-7]+$/.test(strval(v)) ? parseInt(strval(v), 8) : 0))],
    ["add", variadic((...v: unknown[]) => v.reduce<number>((s, x) => s + toInt(x), 0))],
    ["add1", fn((v: unknown) => toInt(v) + 1)],
    ["sub", i2((a, b) => a - b)],
    ["mul", variadic((a: unknown, ...v: unknown[]) => v.reduce<number>((s, x) => s * toInt(x), toInt(a)), 1)],
    ["div", i2(intDiv)],
    ["mod", i2((a, b) => a - intDiv(a, b) * b)],
    ["max", variadic((a: unknown, ...v: unknown[]) => Math.max(toInt(a), ...v.map(toInt)), 1)],
    ["min", variadic((a: unknown, ...v: unknown[]) => Math.min(toInt(a), ...v.map(toInt)), 1)],
    ["addf", variadic((...v: unknown[]) => v.reduce<number>((s, x) => s + toFloat(x), 0))],
    ["subf", f2((a, b) => a - b)],
    ["mulf", variadic((a: unknown, ...v: unknown[]) => v.reduce<number>((s, x) => s * toFloat(x), toFloat(a)), 1)],
    ["divf", f2((a, b) => a / b)],
    ["floor", fn((v: unknown) => Math.floor(toFloat(v)))],
    ["ceil", fn((v: unknown) => Math.ceil(toFloat(v)))],
    ["round", fn((v: unknown, p: unknown) => { const m = 10 ** toInt(p); return Math.round(toFloat(v) * m) / m; }, 2)],
    ["b64enc", fn((s: unknown) => b64(str(s)))],
    ["b64dec", fn((s: unknown) => b64dec(str(s)))],
    ["b32enc", fn((s: unknown) => base32(Buffer.from(str(s))))],
    ["sha1sum", hash("sha1")],
    ["sha256sum", hash("sha256")],
    ["sha512sum", hash("sha512")],
    ["adler32sum", fn((s: unknown) => String(adler32(Buffer.from(str(s)))))],
    ["toJson", fn((v: unknown) => toJson(v))],
    ["toPrettyJson", fn((v: unknown) => toJson(v, "  "))],
    ["fromJson", fn((s: unknown) => { try { return JSON.parse(str(s)) as unknown; } catch { return null; } })],
    ["toYaml", fn(toYaml)],
    ["fromYaml", fn(fromYaml)],
    ["regexMatch", fn((re: unknown, s: unknown) => regex(re).test(str(s)))],
    ["regexFind", fn((re: unknown, s: unknown) => regex(re).exec(str(s))?.[0] ?? "")],
    ["regexFindAll", fn((re: unknown, s: unknown, n: unknown) => {
      const all = [...str(s).matchAll(regex(re, "g"))].map((m) => m[0]);
      return int(n) < 0 ? all : all.slice(0, int(n));
    })],
    ["regexReplaceAll", fn((re: unknown, s: unknown, r: unknown) => str(s).replace(regex(re, "g"), goReplacement(str(r))))],
    ["regexReplaceAllLiteral", fn((re: unknown, s: unknown, r: unknown) => str(s).replace(regex(re, "g"), () => str(r)))],
    ["regexSplit", fn((re: unknown, s: unknown, n: unknown) => { const parts = str(s).split(regex(re)); return int(n) < 0 ? parts : parts.slice(0, int(n)); })],
    ["regexQuoteMeta", fn((s: unknown) => str(s).replace(/[\\.+*?()|[\]{}^$]/g, "\\$&"))],
    ["typeOf", fn(typeName)],
    ["kindOf", fn(kindName)],
    ["kindIs", fn((k: unknown, v: unknown) => str(k) === kindName(v))],
    ["typeIs", fn((t: unknown, v: unknown) => str(t) === typeName(v))],
    ["deepEqual", fn(eqDeep)],
    ["base", fn((p: unknown) => path.posix.basename(str(p)) || (str(p) === "" ? "." : "/"))],
    ["dir", fn((p: unknown) => path.posix.dirname(str(p)))],
    ["ext", fn((p: unknown) => path.posix.extname(str(p)))],
    ["clean", fn((p: unknown) => (str(p) === "" ? "." : path.posix.normalize(str(p)).replace(/(.)\/$/, "$1")))],
    ["isAbs", fn((p: unknown) => path.posix.isAbsolute(str(p)))],
    ["toRawJson", fn((v: unknown) => JSON.stringify(v) ?? "null")],
  ]);
}

function adler32(buf: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of buf) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function base32(buf: Buffer): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const byte of buf) bits += byte.toString(2).padStart(8, "0");
  let out = "";
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, "0"), 2)];
  return out.padEnd(Math.ceil(out.length / 8) * 8, "=");
}
