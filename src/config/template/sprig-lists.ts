/**
 * Sprig's list and dict functions (list.go, dict.go). Dicts are Go maps, so `keys`
 * has no defined order in Sprig; here it is sorted, which is one of the orders Sprig
 * may produce and makes renders reproducible.
 */
import type { Func } from "./exec.ts";
import { eqDeep } from "./sprig-misc.ts";
import { fn, variadic } from "./set.ts";
import { asList, int, isEmpty, isMap, sortedKeys, str, strval, typeName, type GoMap } from "./values.ts";

function dictArg(v: unknown): GoMap {
  if (isMap(v)) return v;
  throw new Error(`wrong type for value; expected map[string]interface {}; got ${typeName(v)}`);
}

/** Sprig's strslice: strings of a list, nil elements dropped; a scalar is a list of one. */
export function strslice(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map(strval);
  return [strval(v)];
}

export function untilStep(start: number, stop: number, step: number): number[] {
  const out: number[] = [];
  if (stop < start) {
    if (step >= 0) return out;
    for (let i = start; i > stop; i += step) out.push(i);
    return out;
  }
  if (step <= 0) return out;
  for (let i = start; i < stop; i += step) out.push(i);
  return out;
}

function seq(...params: unknown[]): string {
  const p = params.map(int);
  let list: number[] = [];
  if (p.length === 1) {
    const inc = p[0] < 1 ? -1 : 1;
    list = untilStep(1, p[0] + inc, inc);
  } else if (p.length === 2) {
    const step = p[1] < p[0] ? -1 : 1;
    list = untilStep(p[0], p[1] + step, step);
  } else if (p.length === 3) {
    const [start, step, end] = p;
    const inc = end < start ? -1 : 1;
    list = end < start && step > 0 ? [] : untilStep(start, end + inc, step);
  }
  return list.join(" ");
}

function dict(...kv: unknown[]): GoMap {
  const out: GoMap = {};
  for (let i = 0; i < kv.length; i += 2) out[strval(kv[i])] = i + 1 < kv.length ? kv[i + 1] : "";
  return out;
}

/** mergo.Merge as Sprig uses it: keys missing (or empty) in dst are filled from each src, maps deeply. */
function merge(dst: GoMap, srcs: unknown[], overwrite: boolean): GoMap {
  for (const s of srcs) {
    const src = dictArg(s);
    for (const [k, v] of Object.entries(src)) {
      if (isMap(dst[k]) && isMap(v)) merge(dst[k] as GoMap, [v], overwrite);
      else if (!Object.hasOwn(dst, k) || isEmpty(dst[k]) || (overwrite && !isEmpty(v))) dst[k] = v;
    }
  }
  return dst;
}

export function deepCopy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deepCopy);
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepCopy(x)]));
  return v;
}

function dig(...args: unknown[]): unknown {
  const d = dictArg(args[args.length - 1]);
  const fallback = args[args.length - 2];
  let cur: unknown = d;
  for (const k of args.slice(0, -2).map((x) => str(x))) {
    if (!isMap(cur) || !Object.hasOwn(cur, k)) return fallback;
    cur = cur[k];
  }
  return cur;
}

export function listFuncs(): Map<string, Func> {
  const l1 = (name: string, f: (l: unknown[]) => unknown): Func => fn((v: unknown) => f(asList(v, name)));
  return new Map<string, Func>([
    ["list", variadic((...v: unknown[]) => v)],
    ["tuple", variadic((...v: unknown[]) => v)],
    ["first", l1("first", (l) => (l.length ? l[0] : null))],
    ["last", l1("last", (l) => (l.length ? l[l.length - 1] : null))],
    ["rest", l1("rest", (l) => (l.length ? l.slice(1) : null))],
    ["initial", l1("initial", (l) => (l.length ? l.slice(0, -1) : null))],
    ["reverse", l1("reverse", (l) => [...l].reverse())],
    ["compact", l1("compact", (l) => l.filter((x) => !isEmpty(x)))],
    ["uniq", l1("uniq", (l) => l.filter((x, i) => l.findIndex((y) => eqDeep(x, y)) === i))],
    ["sortAlpha", fn((v: unknown) => strslice(v).sort())],
    ["toStrings", fn((v: unknown) => strslice(v))],
    ["join", fn((sep: unknown, v: unknown) => strslice(v).join(str(sep)))],
    ["has", fn((needle: unknown, hay: unknown) => asList(hay, "has").some((x) => eqDeep(x, needle)))],
    ["without", variadic((l: unknown, ...omit: unknown[]) => asList(l, "without").filter((x) => !omit.some((o) => eqDeep(o, x))), 1)],
    ["append", fn((l: unknown, v: unknown) => [...asList(l, "append"), v])],
    ["push", fn((l: unknown, v: unknown) => [...asList(l, "push"), v])],
    ["prepend", fn((l: unknown, v: unknown) => [v, ...asList(l, "prepend")])],
    ["concat", variadic((...ls: unknown[]) => ls.flatMap((l) => asList(l, "concat")))],
    ["until", fn((n: unknown) => untilStep(0, int(n), int(n) < 0 ? -1 : 1))],
    ["untilStep", fn((a: unknown, b: unknown, s: unknown) => untilStep(int(a), int(b), int(s)))],
    ["seq", variadic(seq)],
    ["dict", variadic(dict)],
    ["get", fn((d: unknown, k: unknown) => { const m = dictArg(d); return Object.hasOwn(m, str(k)) ? m[str(k)] : ""; })],
    ["set", fn((d: unknown, k: unknown, v: unknown) => { const m = dictArg(d); m[str(k)] = v; return m; })],
    ["unset", fn((d: unknown, k: unknown) => { const m = dictArg(d); delete m[str(k)]; return m; })],
    ["hasKey", fn((d: unknown, k: unknown) => Object.hasOwn(dictArg(d), str(k)))],
    ["keys", variadic((...ds: unknown[]) => ds.flatMap((d) => sortedKeys(dictArg(d))))],
    ["values", fn((d: unknown) => { const m = dictArg(d); return sortedKeys(m).map((k) => m[k]); })],
    ["pluck", variadic((k: unknown, ...ds: unknown[]) => ds.map(dictArg).filter((d) => Object.hasOwn(d, str(k))).map((d) => d[str(k)]), 1)],
    ["pick", variadic((d: unknown, ...ks: unknown[]) => { const m = dictArg(d); return Object.fromEntries(ks.map((k) => str(k)).filter((k) => Object.hasOwn(m, k)).map((k) => [k, m[k]])); }, 1)],
    ["omit", variadic((d: unknown, ...ks: unknown[]) => { const m = dictArg(d); const drop = new Set(ks.map((k) => str(k))); return Object.fromEntries(Object.entries(m).filter(([k]) => !drop.has(k))); }, 1)],
    ["merge", variadic((d: unknown, ...s: unknown[]) => merge(dictArg(d), s, false), 1)],
    ["mergeOverwrite", variadic((d: unknown, ...s: unknown[]) => merge(dictArg(d), s, true), 1)],
    ["deepCopy", fn(deepCopy)],
    ["dig", variadic(dig, 2)],
  ]);
}
