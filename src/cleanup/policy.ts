/**
 * The keep policy (`cleanup:` in the meta document), werf-like:
 *
 *   cleanup:
 *     keepPolicies:
 *       - references: { branch: /.*\/, limit: { last: 10, in: 168h, operator: And } }
 *         imagesPerReference: { last: 2, in: 72h, operator: Or }
 *     keep: [ "production", "/^v\\d+$/" ]   # tags always kept
 *     grace: 2h                              # images pushed this recently are kept
 *
 * Validated once at the edge, with file:line errors in the config's own style.
 */
import * as z from "zod";
import picomatch from "picomatch";
import { ConfigError } from "../errors.ts";
import type { SourceDoc } from "../config/yaml-source.ts";
import { validateDoc } from "../config/validate.ts";
import { parseDuration } from "./duration.ts";

const duration = z.string({ error: "expected a duration such as 168h" }).refine((s) => parseDuration(s) !== undefined, { message: "expected a duration such as 2h, 168h, 30m or 7d" });
const pattern = z.string({ error: "expected a name, a glob or a /regex/" }).refine(isValidPattern, { message: "invalid regular expression" });
const operator = z.enum(["And", "Or"], { error: "expected And or Or" });
const count = z.number({ error: "expected a whole number >= 0" }).int({ message: "expected a whole number >= 0" }).min(0, { message: "expected a whole number >= 0" });
const limitSchema = z.strictObject({ last: count.nullish(), in: duration.nullish(), operator: operator.nullish() });

const keepPolicySchema = z.strictObject({
  references: z.strictObject({ branch: pattern.nullish(), tag: pattern.nullish(), limit: limitSchema.nullish() })
    .refine((r) => (r.branch == null) !== (r.tag == null), { message: "set exactly one of branch or tag" }),
  imagesPerReference: limitSchema.nullish(),
});

export const cleanupSchema = z.strictObject({
  keepPolicies: z.array(keepPolicySchema, { error: "expected a list of keep policies" }).nullish(),
  keep: z.array(pattern, { error: "expected a list of tags, globs or /regex/" }).nullish(),
  grace: duration.nullish(),
});

/** The meta document, with every key but cleanup left to the config loader. */
const metaWithCleanup = z.looseObject({ cleanup: cleanupSchema.nullish() });

export interface Limit {
  last?: number;
  inMs?: number;
  operator: "And" | "Or";
}

export interface KeepPolicy {
  kind: "branch" | "tag";
  /** As written, for reasons. */
  pattern: string;
  matches: (name: string) => boolean;
  limit?: Limit;
  imagesPerReference?: Limit;
}

export interface CleanupPolicy {
  keepPolicies: KeepPolicy[];
  keep: Array<{ pattern: string; matches: (tag: string) => boolean }>;
  graceMs?: number;
}

/**
 * Defaults (used when `cleanup.keepPolicies` is absent): every git tag among the 10
 * most recent keeps its images; every existing branch keeps its 10 most recent images
 * (builds of its recent commits). A ref no policy mentions keeps its images too: only
 * refs that are gone, or that a policy's limit leaves out, lose theirs.
 */
export const DEFAULT_KEEP_POLICIES = [
  { references: { tag: "/.*/", limit: { last: 10 } } },
  { references: { branch: "/.*/" }, imagesPerReference: { last: 10 } },
] as const;

export const DEFAULT_GRACE_MS = 2 * 3_600_000;

function isValidPattern(p: string): boolean {
  try {
    compilePattern(p);
    return true;
  } catch {
    return false;
  }
}

/** `/regex/` (flags allowed), a glob (`release-*`), or an exact name. Regexes are unanchored, as in werf. */
export function compilePattern(p: string): (name: string) => boolean {
  const re = /^\/(.*)\/([a-z]*)$/s.exec(p);
  if (re) {
    const rx = new RegExp(re[1], re[2]);
    return (name) => rx.test(name);
  }
  if (/[*?[\]{}!]/.test(p)) return picomatch(p, { dot: true });
  return (name) => name === p;
}

type RawLimit = z.output<typeof limitSchema>;
type RawCleanup = z.output<typeof cleanupSchema>;

function toLimit(raw: RawLimit | null | undefined): Limit | undefined {
  if (!raw || (raw.last == null && raw.in == null)) return undefined;
  return { ...(raw.last != null && { last: raw.last }), ...(raw.in != null && { inMs: parseDuration(raw.in) }), operator: raw.operator ?? "And" };
}

function toPolicy(raw: RawCleanup | null | undefined): CleanupPolicy {
  const policies = raw?.keepPolicies ?? (DEFAULT_KEEP_POLICIES as unknown as NonNullable<RawCleanup["keepPolicies"]>);
  return {
    keepPolicies: policies.map((p) => {
      const kind = p.references.branch != null ? "branch" : "tag";
      const pattern = (p.references.branch ?? p.references.tag) as string;
      const limit = toLimit(p.references.limit);
      const per = toLimit(p.imagesPerReference);
      return { kind, pattern, matches: compilePattern(pattern), ...(limit && { limit }), ...(per && { imagesPerReference: per }) };
    }),
    keep: (raw?.keep ?? []).map((pattern) => ({ pattern, matches: compilePattern(pattern) })),
    ...(raw?.grace != null && { graceMs: parseDuration(raw.grace) }),
  };
}

/** Validates `cleanup` inside the meta document `doc` of `file`; errors carry file:line:column. */
export function policyFromMetaDoc(doc: SourceDoc | undefined, file: string): CleanupPolicy {
  if (!doc) return toPolicy(undefined);
  return toPolicy(validateDoc(metaWithCleanup, doc, file).cleanup);
}

/** Validates a raw value without positions (functions, tests); errors name the field. */
export function policyFromValue(raw: unknown, file = "cleanup"): CleanupPolicy {
  const result = cleanupSchema.nullish().safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(file, undefined, undefined, ["cleanup", ...issue.path.map(String)].join("."), issue.message);
  }
  return toPolicy(result.data);
}
