import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RegistryDependencyCache } from "../../../src/cache/registry-cache.ts";
import { cacheTag } from "../../../src/cache/tag.ts";
import type { MemoryRegistry } from "../../../src/registry/memory.ts";
import { HOUR, run, threeBranches } from "./helpers.ts";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "slipway-cc-"));
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function saveCache(registry: MemoryRegistry, ref: string, ageMs: number): Promise<string> {
  const cache = new RegistryDependencyCache({
    registry, repository: "demo", project: "demo", scope: { ref, defaultBranch: "main" }, maxBytes: 1 << 20, now: () => new Date(Date.now() - ageMs),
  });
  const dir = join(root, ref.replace(/\//g, "_"));
  await mkdir(dir, { recursive: true });
  const restored = await cache.restore("build_dir:/root/.npm", dir);
  await writeFile(join(dir, "pkg"), `package of ${ref}`);
  expect((await cache.save("build_dir:/root/.npm", dir, restored)).outcome).toBe("saved");
  return cacheTag("demo", "build_dir:/root/.npm", ref);
}

describe("cleanup of dependency caches", () => {
  it("removes caches of refs that are gone, keeps the living ref's and recent ones; images and stages are judged as before", async () => {
    const { registry } = await threeBranches();
    const main = await saveCache(registry, "main", 5 * HOUR);
    const gone = await saveCache(registry, "old", 5 * HOUR);
    const recent = await saveCache(registry, "just-deleted", 0);
    const report = await run(registry);
    const of = (tag: string) => report.tags.find((t) => t.tag === tag);
    expect(of(main)).toMatchObject({ kind: "cache", action: "keep", ref: "main", reason: "cache of branch main, which exists" });
    expect(of(gone)).toMatchObject({ kind: "cache", action: "delete", ref: "old", reason: expect.stringContaining('no git branch or tag "old" exists') });
    expect(of(recent)).toMatchObject({ kind: "cache", action: "keep", reason: expect.stringContaining("within the grace window") });
    // What the cleanup did before caches existed: 3 deletions among images and stages.
    expect(report.tags.filter((t) => t.kind !== "cache" && t.action === "delete")).toHaveLength(3);
    const tags = await registry.listTags("demo");
    expect(tags).toContain(main);
    expect(tags).toContain(recent);
    expect(tags).not.toContain(gone);
  });

  it("--grace 0s removes a just-saved cache of a deleted ref; the keep list protects caches too", async () => {
    const { registry } = await threeBranches();
    const recent = await saveCache(registry, "just-deleted", 0);
    const kept = await saveCache(registry, "pinned", 5 * HOUR);
    const report = await run(registry, { graceMs: 0, keep: [{ pattern: kept, matches: (t) => t === kept }] });
    expect(report.tags.find((t) => t.tag === recent)).toMatchObject({ action: "delete" });
    expect(report.tags.find((t) => t.tag === kept)).toMatchObject({ action: "keep", reason: expect.stringContaining("keep list") });
  });
});
