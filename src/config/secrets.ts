/**
 * werf v2's `secrets:` (pkg/config/raw_secrets.go, secrets.go): a list of entries, each
 * exactly one of `env` (an environment variable), `src` (a file on the build host) or
 * `value` (a literal), with an `id` that defaults to the variable's name or the file's
 * base name (`value` needs one). Ids are unique per image. slipway adds
 * `rebuildOnChange: true`, which makes the value (as a salted hash) an input of the
 * digests of the stages that see it, so rotating it rebuilds them; by default a secret
 * is in no digest.
 */
import { posix } from "node:path";
import * as z from "zod";
import type { SourceLocation } from "./types.ts";
import type { PathSegment } from "./yaml-source.ts";
import { secretIdProblem } from "./secret-id.ts";

export type SecretSource = { env: string } | { src: string } | { value: string };

export interface SecretConfig {
  id: string;
  source: SecretSource;
  rebuildOnChange: boolean;
  location: SourceLocation;
}

export const secretSchema = z.strictObject({
  id: z.string({ error: "expected a string" }).nullish(),
  env: z.string({ error: "expected a string" }).nullish(),
  src: z.string({ error: "expected a string" }).nullish(),
  value: z.union([z.string(), z.number(), z.boolean()], { error: "expected a string" }).transform(String).nullish(),
  rebuildOnChange: z.boolean({ error: "expected true or false" }).nullish(),
});

export type RawSecret = z.output<typeof secretSchema>;

export { secretIdProblem };

/** The entries of a validated `secrets:` list; `fail` throws at a path relative to the list. */
export function secretConfigs(
  raw: RawSecret[], fail: (path: PathSegment[], detail: string) => never, loc: (path: PathSegment[]) => SourceLocation,
): SecretConfig[] {
  const seen = new Set<string>();
  return raw.map((s, i) => {
    const given = (["env", "src", "value"] as const).filter((k) => s[k] != null && s[k] !== "");
    if (given.length !== 1) fail([i], "a secret is exactly one of env, src or value");
    const key = given[0];
    const source: SecretSource = key === "env" ? { env: s.env! } : key === "src" ? { src: s.src! } : { value: s.value! };
    if (key === "value" && !s.id) fail([i, "value"], "a secret with value needs an id");
    const id = s.id || (key === "env" ? s.env! : posix.basename(s.src!));
    const problem = secretIdProblem(id);
    if (problem) fail([i, s.id ? "id" : key], problem);
    if (seen.has(id)) fail([i], `duplicated secret "${id}"`);
    seen.add(id);
    return { id, source, rebuildOnChange: s.rebuildOnChange ?? false, location: loc([i]) };
  });
}
