/**
 * Plan time of `cleanup repo` for a registry holding ~10,000 tags (synthetic, in
 * memory): 100 branches (60 alive, 40 deleted) x 2 images, each with a 45-stage chain
 * on one shared base, a branch tag and 4 commit tags. Measures snapshot + git/policy +
 * reachability + decisions (a dry run), and reports tags per second. Target: under 10 s.
 *
 *   npm run bench:cleanup [-- --branches 100 --stages 45 --latency-ms 0]
 */
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import pLimit from "p-limit";
import { ociDeleter } from "../../src/cleanup/delete.ts";
import { policyFromValue } from "../../src/cleanup/policy.ts";
import { cleanupRepo } from "../../src/cleanup/repo-cleanup.ts";
import type { GitRef } from "../../src/gitrefs/types.ts";
import type { LayerEntry } from "../../src/build/layer.ts";
import { MemoryRegistry } from "../../src/registry/memory.ts";
import { publishChain, publishImage } from "../../test/support/synthetic-images.ts";

const { values } = parseArgs({ options: { branches: { type: "string", default: "100" }, stages: { type: "string", default: "45" }, "latency-ms": { type: "string", default: "0" } } });
const branches = Number(values.branches);
const perChain = Number(values.stages);
const latency = Number(values["latency-ms"]);

/** One small layer shared by every stage: the bench measures planning, not layer building. */
const FILES: LayerEntry[] = [{ type: "file", path: "/f", mode: 0o644, uid: 0, gid: 0, content: Buffer.from("x") }];

async function populate(registry: MemoryRegistry): Promise<GitRef[]> {
  const [from] = await publishChain(registry, "demo", [{ name: "from", key: "base", files: FILES }]);
  const refs: GitRef[] = [];
  const old = new Date(Date.now() - 86_400_000);
  for (let b = 0; b < branches; b++) {
    const name = `feature-${b}`;
    const commits = Array.from({ length: 4 }, () => randomBytes(20).toString("hex"));
    if (b < branches * 0.6) refs.push({ kind: "branch", name, commit: commits[0], time: old });
    for (const image of ["api", "web"]) {
      const chain = await publishChain(registry, "demo", Array.from({ length: perChain }, (_, i) => ({ name: `s${i}`, key: `${name}-${image}-${i}`, files: FILES })), from);
      const last = chain[chain.length - 1];
      for (const tag of [name, ...commits]) await publishImage(registry, "demo", { image, tag, last, created: old });
    }
  }
  return refs;
}

/**
 * Optional per-request latency, to see how round trips would weigh on a real registry;
 * findTags then issues its HEADs 8 at a time, as the OCI client does.
 */
function withLatency(registry: MemoryRegistry, ms: number): MemoryRegistry {
  if (ms <= 0) return registry;
  const delay = () => new Promise((r) => setTimeout(r, ms));
  for (const method of ["headManifest", "getManifest", "getBlob", "listTags"] as const) {
    const original = registry[method].bind(registry) as (...a: unknown[]) => Promise<unknown>;
    (registry as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => (await delay(), original(...args));
  }
  const limit = pLimit(8);
  registry.findTags = async (repo, tags) => {
    const found = await Promise.all(tags.map((t) => limit(async () => [t, await registry.headManifest(repo, t)] as const)));
    return new Map(found.filter((f): f is readonly [string, NonNullable<(typeof f)[1]>] => f[1] !== undefined));
  };
  return registry;
}

const registry = new MemoryRegistry("bench.invalid");
const setupStart = performance.now();
const refs = await populate(registry);
const tags = (await registry.listTags("demo")).length + (await registry.listTags("demo/api")).length + (await registry.listTags("demo/web")).length;
process.stderr.write(`populated ${tags} tags in ${((performance.now() - setupStart) / 1000).toFixed(1)} s\n`);

withLatency(registry, latency);
const start = performance.now();
const report = await cleanupRepo({
  registry, deleter: ociDeleter(registry), repo: "demo", images: ["api", "web"],
  refs: { description: "bench", list: async () => refs }, policy: policyFromValue(undefined), dryRun: true,
});
const seconds = (performance.now() - start) / 1000;
const result = { tags: report.tags.length, kept: report.totals.kept, deleted: report.totals.deleted, seconds: Number(seconds.toFixed(3)), tagsPerSecond: Math.round(report.tags.length / seconds), latencyMs: latency, targetMet: report.tags.length >= 10_000 ? seconds < 10 : undefined };
process.stdout.write(`${JSON.stringify(result)}\n`);
process.stderr.write(`plan of ${result.tags} tags: ${seconds.toFixed(2)} s, ${result.tagsPerSecond} tags/s (target: 10,000 tags in < 10 s)\n`);
