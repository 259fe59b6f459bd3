/**
 * Sprig's string functions (masterminds/sprig v3, strings.go), with Sprig's argument
 * order: the string operated on comes last, so it can be piped in.
 */
import type { Func } from "./exec.ts";
import { goQuote } from "./fmt.ts";
import { fn, variadic } from "./set.ts";
import { int, str, strval } from "./values.ts";

/** Go's strings.Title: upper-case the first letter of each word (words end at non-letters/digits). */
function title(s: string): string {
  let prev = " ";
  let out = "";
  for (const c of s) {
    out += /[\p{L}\p{N}_']/u.test(prev) ? c : c.toUpperCase();
    prev = c;
  }
  return out;
}

function untitle(s: string): string {
  let prev = " ";
  let out = "";
  for (const c of s) {
    out += /\s/.test(prev) ? c.toLowerCase() : c;
    prev = c;
  }
  return out;
}

/** strings.Trim with a cutset. */
function trimSet(s: string, cutset: string, left = true, right = true): string {
  const chars = new Set([...cutset]);
  const cs = [...s];
  let a = 0;
  let b = cs.length;
  while (left && a < b && chars.has(cs[a])) a++;
  while (right && b > a && chars.has(cs[b - 1])) b--;
  return cs.slice(a, b).join("");
}

function words(s: string): string[] {
  return s.replace(/([a-z0-9])([A-Z])/g, "$1 $2").split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/** Go's strings.Split: an empty separator splits into UTF-8 sequences. */
export function goSplit(s: string, sep: string, n = -1): string[] {
  if (n === 0) return [];
  if (sep === "") return [...s];
  const parts = s.split(sep);
  if (n > 0 && parts.length > n) return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
  return parts;
}

function toMap(parts: string[]): Record<string, unknown> {
  return Object.fromEntries(parts.map((p, i) => [`_${i}`, p]));
}

function substr(start: number, end: number, s: string): string {
  if (start < 0) return s.slice(0, end);
  if (end < 0 || end > s.length) return s.slice(start);
  return s.slice(start, end);
}

function trunc(c: number, s: string): string {
  if (c < 0 && s.length + c > 0) return s.slice(s.length + c);
  if (c >= 0 && s.length > c) return s.slice(0, c);
  return s;
}

function wrap(width: number, s: string, sep = "\n"): string {
  const out: string[] = [];
  for (const line of s.split("\n")) {
    let cur = "";
    for (const w of line.split(/ +/)) {
      if (cur && cur.length + 1 + w.length > width) {
        out.push(cur);
        cur = w;
      } else cur = cur ? `${cur} ${w}` : w;
    }
    out.push(cur);
  }
  return out.join(sep);
}

export function stringFuncs(): Map<string, Func> {
  const s1 = (f: (s: string) => unknown): Func => fn((s: unknown) => f(str(s)));
  const s2 = (f: (a: string, b: string) => unknown): Func => fn((a: unknown, b: unknown) => f(str(a), str(b)));
  return new Map<string, Func>([
    ["upper", s1((s) => s.toUpperCase())],
    ["lower", s1((s) => s.toLowerCase())],
    ["title", s1(title)],
    ["untitle", s1(untitle)],
    ["trim", s1((s) => s.replace(/^[\s\u0085\u00a0]+|[\s\u0085\u00a0]+$/gu, ""))],
    ["trimAll", s2((cut, s) => trimSet(s, cut))],
    ["trimPrefix", s2((p, s) => (s.startsWith(p) ? s.slice(p.length) : s))],
    ["trimSuffix", s2((p, s) => (p !== "" && s.endsWith(p) ? s.slice(0, s.length - p.length) : s))],
    ["contains", s2((sub, s) => s.includes(sub))],
    ["hasPrefix", s2((p, s) => s.startsWith(p))],
    ["hasSuffix", s2((p, s) => s.endsWith(p))],
    ["replace", fn((o: unknown, n: unknown, s: unknown) => (str(o) === "" ? [...str(s)].join(str(n)) : str(s).split(str(o)).join(str(n))))],
    ["repeat", fn((n: unknown, s: unknown) => str(s).repeat(Math.max(int(n), 0)))],
    ["substr", fn((a: unknown, b: unknown, s: unknown) => substr(int(a), int(b), str(s)))],
    ["trunc", fn((c: unknown, s: unknown) => trunc(int(c), str(s)))],
    ["nospace", s1((s) => s.replace(/\s/g, ""))],
    ["indent", fn((n: unknown, s: unknown) => { const pad = " ".repeat(int(n)); return pad + str(s).replaceAll("\n", `\n${pad}`); })],
    ["nindent", fn((n: unknown, s: unknown) => { const pad = " ".repeat(int(n)); return `\n${pad}${str(s).replaceAll("\n", `\n${pad}`)}`; })],
    ["quote", variadic((...v: unknown[]) => v.filter((x) => x !== null).map((x) => goQuote(strval(x))).join(" "))],
    ["squote", variadic((...v: unknown[]) => v.filter((x) => x !== null).map((x) => `'${strval(x)}'`).join(" "))],
    ["cat", variadic((...v: unknown[]) => v.filter((x) => x !== null).map(strval).join(" "))],
    ["split", s2((sep, s) => toMap(goSplit(s, sep)))],
    ["splitList", s2((sep, s) => goSplit(s, sep))],
    ["splitn", fn((sep: unknown, n: unknown, s: unknown) => toMap(goSplit(str(s), str(sep), int(n))))],
    ["plural", fn((one: unknown, many: unknown, n: unknown) => (int(n) === 1 ? str(one) : str(many)))],
    ["wrap", fn((w: unknown, s: unknown) => wrap(int(w), str(s)))],
    ["wrapWith", fn((w: unknown, sep: unknown, s: unknown) => wrap(int(w), str(s), str(sep)))],
    ["abbrev", fn((w: unknown, s: unknown) => (str(s).length <= int(w) ? str(s) : `${str(s).slice(0, Math.max(int(w) - 3, 0))}...`))],
    ["snakecase", s1((s) => words(s).map((w) => w.toLowerCase()).join("_"))],
    ["kebabcase", s1((s) => words(s).map((w) => w.toLowerCase()).join("-"))],
    ["camelcase", s1((s) => s.split("_").map((w) => (w ? w[0].toUpperCase() + w.slice(1) : "")).join(""))],
    ["swapcase", s1((s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(""))],
    ["shellquote", variadic((...v: unknown[]) => v.map((x) => `'${strval(x).replaceAll("'", "'\\''")}'`).join(" "))],
  ]);
}
