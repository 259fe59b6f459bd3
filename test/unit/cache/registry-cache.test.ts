import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RegistryDependencyCache } from "../../../src/cache/registry-cache.ts";
import type { CacheScope } from "../../../src/cache/scope.ts";
import { CACHE_ANNOTATIONS, cacheTag } from "../../../src/cache/tag.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";

let root: string;
let registry: MemoryRegistry;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "slipway-rc-"));
  registry = new MemoryRegistry();
});
afterEach(() => rm(root, { recursive: true, force: true }));

const MAIN: CacheScope = { ref: "main", defaultBranch: "main" };
const cache = (scope = MAIN, maxBytes = 1 << 20) => new RegistryDependencyCache({ registry, repository: "shop", project: "shop", scope, maxBytes });
async function node(name: string): Promise<string> {
  const dir = join(root, name, "cache");
  await mkdir(dir, { recursive: true });
  return dir;
}

describe("registry dependency cache", () => {
  it("saves a changed directory and restores it on a fresh node", async () => {
    const a = await node("a");
    const first = await cache().restore("npm", a);
    expect(first).toMatchObject({ from: "none", bytes: 0 });
    await mkdir(join(a, "pkgs"));
    await writeFile(join(a, "pkgs", "left-pad"), "x".repeat(1000));
    const saved = await cache().save("npm", a, first);
    expect(saved.outcome).toBe("saved");
    expect(saved.bytes).toBeGreaterThan(0);

    const b = await node("b");
    const restored = await cache().restore("npm", b);
    expect(restored).toMatchObject({ from: "registry", ref: "main" });
    expect(restored.bytes).toBeGreaterThan(0);
    expect(await readFile(join(b, "pkgs", "left-pad"), "utf8")).toBe("x".repeat(1000));
    // Unchanged by the run: nothing is uploaded.
    expect(await cache().save("npm", b, restored)).toEqual({ bytes: 0, outcome: "unchanged", warnings: [] });
  });

  it("downloads nothing when the node already holds the saved content", async () => {
    const a = await node("a");
    await writeFile(join(a, "f"), "1");
    await cache().save("npm", a, await cache().restore("npm", a));
    const pulled = registry.stats.bytesPulled;
    expect(await cache().restore("npm", a)).toMatchObject({ from: "node", bytes: 0 });
    expect(registry.stats.bytesPulled).toBe(pulled);
    // Changed on the node since: the registry's copy replaces it.
    await writeFile(join(a, "f"), "local edit");
    expect(await cache().restore("npm", a)).toMatchObject({ from: "registry" });
    expect(await readFile(join(a, "f"), "utf8")).toBe("1");
  });

  it("a ref without a cache starts from the default branch's and saves under its own tag", async () => {
    const a = await node("a");
    await writeFile(join(a, "main-pkg"), "m");
    await cache().save("npm", a, await cache().restore("npm", a));
    const feature = { ref: "feature/x", defaultBranch: "main" };
    const b = await node("b");
    const restored = await cache(feature).restore("npm", b);
    expect(restored).toMatchObject({ from: "registry", ref: "main" });
    await writeFile(join(b, "feature-pkg"), "f");
    expect((await cache(feature).save("npm", b, restored)).outcome).toBe("saved");
    const tags = await registry.listTags("shop");
    expect(tags.sort()).toEqual([cacheTag("shop", "npm", "feature/x"), cacheTag("shop", "npm", "main")].sort());
    const m = await registry.getManifest("shop", cacheTag("shop", "npm", "feature/x"));
    const annotations = JSON.parse(Buffer.from(m!.body).toString()).annotations;
    expect(annotations).toMatchObject({ [CACHE_ANNOTATIONS.ref]: "feature/x", [CACHE_ANNOTATIONS.id]: "npm", [CACHE_ANNOTATIONS.project]: "shop" });
    // main's cache is untouched by the feature branch.
    const c = await node("c");
    await cache().restore("npm", c);
    expect((await readdir(c)).sort()).toEqual(["main-pkg"]);
  });

  it("skips a cache over the size limit with a warning", async () => {
    const a = await node("a");
    const restored = await cache(MAIN, 100).restore("npm", a);
    await writeFile(join(a, "big"), "x".repeat(101));
    const saved = await cache(MAIN, 100).save("npm", a, restored);
    expect(saved).toMatchObject({ outcome: "too-large", bytes: 0 });
    expect(saved.warnings[0]).toMatch(/over the cache size limit/);
    expect(await registry.listTags("shop")).toEqual([]);
  });

  it("never saves a read-only mount, and a broken registry only warns", async () => {
    const a = await node("a");
    const restored = await cache().restore("npm", a);
    await writeFile(join(a, "f"), "1");
    expect((await cache().save("npm", a, restored, { readOnly: true })).outcome).toBe("read-only");
    registry.pushBlob = async () => { throw new Error("registry down"); };
    const failed = await cache().save("npm", a, restored);
    expect(failed.outcome).toBe("failed");
    expect(failed.warnings[0]).toMatch(/registry down/);
  });
});
