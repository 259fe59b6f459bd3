/**
 * Go's predefined template functions (text/template "Functions"): and, or, not, len,
 * index, slice, print, printf, println, html, js, urlquery and the comparisons.
 * `and`/`or` are evaluated lazily by the executor; their entries here declare arity.
 */
import type { Func } from "./exec.ts";
import { sprint, sprintf, sprintln } from "./fmt.ts";
import { fn, variadic } from "./set.ts";
import { isInt, isMap, isTrue, typeName } from "./values.ts";

type Kind = "bool" | "number" | "string" | "nil" | "other";

function kindOf(v: unknown): Kind {
  if (v === undefined || v === null) return "nil";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return "number";
  if (typeof v === "string") return "string";
  return "other";
}

function eq(a: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new Error("missing argument for comparison");
  const ka = kindOf(a);
  for (const b of rest) {
    const kb = kindOf(b);
    if (ka !== kb) {
      if (ka !== "nil" && kb !== "nil") throw new Error("incompatible types for comparison");
      continue;
    }
    if (ka === "other") throw new Error(`non-comparable type ${typeName(a)}`);
    if (a === b || (ka === "nil" && kb === "nil")) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  if (ka !== "number" && ka !== "string") throw new Error("invalid type for comparison");
  if (ka !== kindOf(b)) throw new Error("incompatible types for comparison");
  return (a as number | string) < (b as number | string);
}

function len(v: unknown): number {
  if (typeof v === "string") return Buffer.byteLength(v, "utf8");
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  if (v === null || v === undefined) throw new Error("len of nil pointer");
  throw new Error(`len of type ${typeName(v)}`);
}

function indexOne(item: unknown, key: unknown): unknown {
  if (item === null || item === undefined) throw new Error("index of untyped nil");
  if (Array.isArray(item) || typeof item === "string") {
    if (!isInt(key)) throw new Error(`cannot index slice/array with type ${typeName(key)}`);
    const n = Array.isArray(item) ? item.length : Buffer.byteLength(item);
    if (key < 0 || key >= n) throw new Error(`index out of range: ${key}`);
    return Array.isArray(item) ? item[key] : Buffer.from(item)[key];
  }
  if (isMap(item)) {
    if (typeof key !== "string") throw new Error(`value has type ${typeName(key)}; should be string`);
    return Object.hasOwn(item, key) ? item[key] : null;
  }
  throw new Error(`can't index item of type ${typeName(item)}`);
}

function slice(item: unknown, ...idx: unknown[]): unknown {
  if (typeof item !== "string" && !Array.isArray(item)) throw new Error(`can't slice item of type ${typeName(item)}`);
  if (idx.length > 3 || (typeof item === "string" && idx.length > 2)) throw new Error(`too many slice indexes: ${idx.length}`);
  const n = typeof item === "string" ? Buffer.byteLength(item) : item.length;
  const [from, to] = [idx[0] ?? 0, idx[1] ?? n];
  if (!isInt(from) || !isInt(to)) throw new Error("cannot index slice/array with nil");
  if (from < 0 || to > n || from > to) throw new Error(`index out of range: ${from > to ? from : to}`);
  return typeof item === "string" ? Buffer.from(item).subarray(from, to).toString() : item.slice(from, to);
}

const HTML: Record<string, string> = { "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;", "\0": "\uFFFD" };
const JS: Record<string, string> = { "\\": "\\\\", "'": "\\'", '"': "\\\"", "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

export function builtins(): Map<string, Func> {
  return new Map<string, Func>([
    ["and", variadic(() => undefined, 1)],
    ["or", variadic(() => undefined, 1)],
    ["not", fn((v: unknown) => !isTrue(v))],
    ["len", fn(len)],
    ["index", variadic((item: unknown, ...keys: unknown[]) => keys.reduce(indexOne, item), 1)],
    ["slice", variadic(slice, 1)],
    ["print", variadic((...a: unknown[]) => sprint(a))],
    ["printf", variadic((format: unknown, ...a: unknown[]) => sprintf(String(format), a), 1)],
    ["println", variadic((...a: unknown[]) => sprintln(a))],
    ["eq", variadic(eq, 1)],
    ["ne", fn((a: unknown, b: unknown) => !eq(a, b))],
    ["lt", fn(lt)],
    ["le", fn((a: unknown, b: unknown) => lt(a, b) || eq(a, b))],
    ["gt", fn((a: unknown, b: unknown) => !lt(a, b) && !eq(a, b))],
    ["ge", fn((a: unknown, b: unknown) => !lt(a, b))],
    ["html", variadic((...a: unknown[]) => sprint(a).replace(/[<>&'"\0]/g, (c) => HTML[c]))],
    ["js", variadic((...a: unknown[]) => sprint(a).replace(/[\\'"<>&=\n\r\t]/g, (c) => JS[c]))],
    ["urlquery", variadic((...a: unknown[]) => encodeURIComponent(sprint(a)).replace(/%20/g, "+").replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))],
    ["call", variadic(() => { throw new Error("call of non-function: templates here have no function values"); }, 1)],
  ]);
}
