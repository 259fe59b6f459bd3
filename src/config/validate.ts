/**
 * Runs a zod schema over one YAML document and turns every problem into a ConfigError
 * with file, line, column and the field path the user wrote (all of them, in file order).
 */
import type * as z from "zod";
import { ConfigError } from "../errors.ts";
import { codePoint, type PathSegment, type SourceDoc } from "./yaml-source.ts";

/** Validates one document; throws one ConfigError carrying every problem. */
export function validateDoc<S extends z.ZodType>(schema: S, doc: SourceDoc, file: string): z.output<S> {
  const result = schema.safeParse(doc.value);
  if (result.success) return result.data;
  throw ConfigError.all(result.error.issues.flatMap((issue) => splitKeys(issue)).map((issue) => issueToError(schema, issue, doc, file)));
}

/** zod reports all unknown keys of one map as one issue: one problem per key, each at its own place. */
function splitKeys(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  return issue.code === "unrecognized_keys" && issue.keys.length > 1 ? issue.keys.map((key) => ({ ...issue, keys: [key] })) : [issue];
}

/**
 * Strings no command, path or setting can carry: a NUL can't reach a process at all,
 * and other control characters (written as escapes such as "\x01") are mistakes.
 * Tab, newline, carriage return and escape (terminal colours) are fine.
 */
export function controlCharacterValues(doc: SourceDoc, file: string): ConfigError[] {
  const problems: ConfigError[] = [];
  const stack: [unknown, PathSegment[]][] = [[doc.value, []]];
  const check = (text: string, path: PathSegment[], key: boolean) => {
    const bad = /[\x00-\x08\x0B\x0C\x0E-\x1A\x1C-\x1F\x7F]/.exec(text);
    if (!bad) return;
    const at = doc.locate(path, key);
    problems.push(new ConfigError(file, at.line, at.column, fieldPath(path) || undefined, `control character ${codePoint(bad[0])} is not allowed${key ? " in a key" : ""}`));
  };
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === "string") check(value, path, false);
    else if (Array.isArray(value)) value.forEach((v, i) => stack.push([v, [...path, i]]));
    else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        check(k, [...path, k], true);
        stack.push([v, [...path, k]]);
      }
    }
  }
  return problems;
}

export function fieldPath(path: readonly PathSegment[]): string {
  return path.map((seg, i) => (typeof seg === "number" ? `[${seg}]` : i === 0 ? seg : `.${seg}`)).join("");
}

function issueToError(schema: z.ZodType, issue: z.core.$ZodIssue, doc: SourceDoc, file: string, prefix: PathSegment[] = []): ConfigError {
  const path = [...prefix, ...issue.path.filter((s): s is PathSegment => typeof s !== "symbol")];
  const inner = issue.code === "invalid_union" ? deeperBranchIssue(issue.errors) : undefined;
  // The value had the shape of one alternative but failed inside it: report that inner problem.
  if (inner) return issueToError(schema, inner, doc, file, path);
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0];
    const at = doc.locate([...path, key], true);
    const known = knownKeysAt(schema, path);
    const hint = suggest(key, known);
    const detail = `unknown key${hint ? `; did you mean "${hint}"?` : known.length ? ` (known keys: ${known.join(", ")})` : ""}`;
    return new ConfigError(file, at.line, at.column, fieldPath([...path, key]), detail);
  }
  const value = valueAt(doc.value, path);
  const at = doc.locate(path);
  // Our schemas carry their own wording ("expected a string or a list of strings"); zod's defaults start with "Invalid".
  const expected = issue.message.startsWith("Invalid") && issue.code === "invalid_type" ? `expected ${article(issue.expected)}` : issue.message;
  let detail = expected;
  if ((issue.code === "invalid_type" || issue.code === "invalid_union") && (value === undefined || value === null)) detail = "required";
  else if (issue.code === "invalid_type" || issue.code === "invalid_union" || issue.code === "invalid_value") detail = `${expected}, got ${describe(value)}`;
  return new ConfigError(file, at.line, at.column, fieldPath(path) || undefined, detail);
}

/** The first issue of the union branch that got furthest (all its issues below the union's own path). */
function deeperBranchIssue(branches: z.core.$ZodIssue[][]): z.core.$ZodIssue | undefined {
  const deep = branches.filter((issues) => issues.length > 0 && issues.every((i) => i.path.length > 0));
  deep.sort((a, b) => b[0].path.length - a[0].path.length);
  return deep[0]?.[0];
}

function article(expected: string): string {
  return expected === "array" ? "a list" : expected === "object" ? "a map" : /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

export function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a map";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let v = value;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** The keys the schema accepts for the object at `path`, found by walking zod's definitions. */
export function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let candidates: unknown[] = [schema];
  for (const seg of [...path, undefined]) {
    candidates = candidates.flatMap(unwrap);
    if (seg === undefined) break;
    candidates = candidates.flatMap((c) => {
      const def = defOf(c);
      if (def.type === "object") return def.shape[String(seg)] ? [def.shape[String(seg)]] : [];
      if (def.type === "array" && typeof seg === "number") return [def.element];
      if (def.type === "record") return [def.valueType];
      return [];
    });
  }
  return candidates.flatMap((c) => (defOf(c).type === "object" ? Object.keys(defOf(c).shape) : []));
}

// zod v4 keeps each schema's definition on `_zod.def`; we only read the fields we need.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function defOf(s: unknown): any {
  return (s as { _zod: { def: unknown } })._zod.def;
}

function unwrap(s: unknown): unknown[] {
  const def = defOf(s);
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
      return unwrap(def.innerType);
    case "pipe":
      return unwrap(def.in);
    case "union":
      return (def.options as unknown[]).flatMap(unwrap);
    default:
      return [s];
  }
}

/** The closest known key, when close enough to be a typo. */
export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = levenshtein(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * A mount's `fromPath` as werf takes it: absolute, or `~` / `~/...` for the home
 * directory of the user running the build (expanded on the node, at build time).
 * `~user` and relative paths are refused: werf refuses relative ones too, and
 * `~user` would silently mean a directory named so.
 */
export function hostPath(path: string, fail: (detail: string) => never): string {
  if (path.startsWith("/") || path === "~" || path.startsWith("~/")) return path;
  if (path.startsWith("~")) return fail(`"${path}": only ~ and ~/... (the build user's home directory) are expanded, not ~user`);
  return fail(`must be an absolute path or start with ~/ (the build user's home directory), got "${path}"`);
}
