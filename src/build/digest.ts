import { createHash } from "node:crypto";

/**
 * Bump when the meaning of a stage changes (what a stage kind does with its inputs,
 * the layer format, ...): every digest changes, so no node reuses a stage built
 * under the old meaning.
 */
export const CACHE_VERSION = "slipway-stage-v1";

/** A named input of a stage digest. Names are kept so a cache miss can be explained. */
export type NamedInput = readonly [name: string, value: string];

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * The digest of a stage: a hash over its kind, the cache version, its parent's digest
 * and its own named inputs, in order. 64 hex characters, so it is a valid image tag.
 */
export function stageDigest(kind: string, parent: string | undefined, inputs: readonly NamedInput[]): string {
  const doc: NamedInput[] = [["cacheVersion", CACHE_VERSION], ["kind", kind], ["parent", parent ?? ""], ...inputs];
  return sha256Hex(JSON.stringify(doc));
}

/** Inputs stored only as a hash: commands may carry secrets expanded from `{{ env "X" }}`. */
const HASHED_INPUTS = new Set(["commands"]);

/** Input values as stored with a built stage (to explain rebuilds): short values verbatim, long ones and commands hashed. */
export function fingerprint(inputs: readonly NamedInput[], limit = 4096): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of inputs) out[name] = value.length <= limit && !HASHED_INPUTS.has(name) ? value : `sha256:${sha256Hex(value)}`;
  return out;
}
