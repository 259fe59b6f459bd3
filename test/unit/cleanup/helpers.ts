import type { GitRef, GitRefSource } from "../../../src/gitrefs/types.ts";
import type { KubeImageSource, KubeImageUse } from "../../../src/k8s/types.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { ociDeleter } from "../../../src/cleanup/delete.ts";
import { policyFromValue } from "../../../src/cleanup/policy.ts";
import { cleanupRepo, type CleanupRepoOptions } from "../../../src/cleanup/repo-cleanup.ts";
import { publishChain, publishImage } from "../../support/synthetic-images.ts";

export const HOUR = 3_600_000;

export function refs(list: Array<Partial<GitRef> & { name: string }>): GitRefSource {
  return { description: "fake", list: async () => list.map((r) => ({ kind: "branch", commit: "", ...r })) };
}

export function kube(images: string[]): KubeImageSource {
  return { list: async (): Promise<KubeImageUse[]> => images.map((image) => ({ image, where: "ctx/prod/Deployment/web" })) };
}

/**
 * A project "demo" with image "api": branches main and feature-x alive, branch old
 * deleted; all three share the `from` stage, each has its own install stage, old a setup.
 */
export async function threeBranches(opts: { oldAgeMs?: number } = {}) {
  const registry = new MemoryRegistry("registry.test:5000");
  const [from, mainInstall] = await publishChain(registry, "demo", [{ name: "from", key: "base" }, { name: "install", key: "main" }]);
  const [fxInstall] = await publishChain(registry, "demo", [{ name: "install", key: "fx" }], from);
  const [oldInstall, oldSetup] = await publishChain(registry, "demo", [{ name: "install", key: "old" }, { name: "setup", key: "old" }], from);
  const old = new Date(Date.now() - (opts.oldAgeMs ?? 5 * HOUR));
  const main = await publishImage(registry, "demo", { image: "api", tag: "main", last: mainInstall, created: old });
  await publishImage(registry, "demo", { image: "api", tag: "feature-x", last: fxInstall, created: old });
  const oldImage = await publishImage(registry, "demo", { image: "api", tag: "old", last: oldSetup, created: old });
  return { registry, stages: { from, mainInstall, fxInstall, oldInstall, oldSetup }, main, oldImage };
}

export function run(registry: MemoryRegistry, extra: Partial<CleanupRepoOptions> = {}) {
  return cleanupRepo({
    registry,
    deleter: ociDeleter(registry),
    repo: "demo",
    images: ["api"],
    refs: refs([{ name: "main" }, { name: "feature-x" }]),
    policy: policyFromValue(undefined),
    dryRun: false,
    ...extra,
  });
}
