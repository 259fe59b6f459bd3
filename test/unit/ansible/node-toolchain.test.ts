import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { registryToolchains } from "../../../src/ansible/publish.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { nodeToolchain, toolchainScript, ToolchainGone, type Toolchain, type ToolchainRemote } from "../../../src/ansible/toolchain.ts";
import { run } from "../../../src/util/process.ts";
import { scratchDir } from "../../support/services.ts";

const D = (c: string) => `sha256:${c.repeat(64)}`;

/** A directory that passes for a toolchain, with its digest recorded beside it (no build). */
async function fakeToolchain(dir: string, digest: string, recipe?: string): Promise<void> {
  await mkdir(join(dir, "bin"), { recursive: true });
  await writeFile(join(dir, "bin", "ansible-playbook"), "#!/bin/sh\n", { mode: 0o755 });
  await writeFile(`${dir}.digest`, digest);
  if (recipe) await writeFile(`${dir}.key`, `${recipe}\n`);
}

function remote(published?: string): ToolchainRemote & { published: Array<Toolchain & { recipe: string }> } {
  const calls: Array<Toolchain & { recipe: string }> = [];
  return {
    published: calls,
    find: async (recipe, cacheDir, local) => (!published ? undefined : local?.digest === published ? local : { dir: join(cacheDir, "fetched"), digest: published, recipe, ready: async () => join(cacheDir, "fetched") }),
    publish: async (t) => void calls.push(t),
  };
}

describe("the node's toolchain with a stages repository", () => {
  test("a given directory is used as it is; it is published only when a .key beside it names its recipe", async () => {
    const root = await scratchDir("slipway-tc-");
    await fakeToolchain(join(root, "given"), D("a"), "b".repeat(32));
    await fakeToolchain(join(root, "bare"), D("c"));
    const r = remote(D("f"));
    expect(await nodeToolchain(join(root, "cache"), { SLIPWAY_ANSIBLE_TOOLCHAIN: join(root, "given") }, "/nonexistent", r))
      .toEqual({ dir: join(root, "given"), digest: D("a"), recipe: "b".repeat(32) });
    expect(r.published.map((t) => t.recipe)).toEqual(["b".repeat(32)]);
    expect(await nodeToolchain(join(root, "cache"), { SLIPWAY_ANSIBLE_TOOLCHAIN: join(root, "bare") }, "/nonexistent", r)).toEqual({ dir: join(root, "bare"), digest: D("c") });
    expect(r.published).toHaveLength(1);
  });

  test("the repository's digest wins over a local build of the same recipe; the same digest uses the local directory; none publishes the local one", async () => {
    const recipe = (await run(toolchainScript(), ["--id"])).stdout.trim();
    expect(recipe).toMatch(/^[0-9a-f]{32}$/);
    const cache = await scratchDir("slipway-tc-");
    await fakeToolchain(join(cache, recipe), D("1"));
    const other = remote(D("2"));
    const fromRepo = await nodeToolchain(cache, {}, "/nonexistent", other);
    expect(fromRepo).toMatchObject({ dir: join(cache, "fetched"), digest: D("2"), recipe });
    expect(fromRepo.ready).toBeTypeOf("function");
    expect(other.published).toEqual([]);

    const same = remote(D("1"));
    expect(await nodeToolchain(cache, {}, "/nonexistent", same)).toEqual({ dir: join(cache, recipe), digest: D("1"), recipe });

    const empty = remote(undefined);
    expect(await nodeToolchain(cache, {}, "/nonexistent", empty)).toEqual({ dir: join(cache, recipe), digest: D("1"), recipe });
    expect(empty.published).toEqual([{ dir: join(cache, recipe), digest: D("1"), recipe }]);
  });
});

test("a tag deleted between planning and the first run: the toolchain here is used if it has the planned digest, and published again", async () => {
  const recipe = (await run(toolchainScript(), ["--id"])).stdout.trim();
  const cache = await scratchDir("slipway-tc-");
  await fakeToolchain(join(cache, recipe), D("1"));
  const published: string[] = [];
  // A repository whose tag goes away once planned (the real one never offers a local digest to fetch).
  const gone = (digest: string): ToolchainRemote => ({
    find: async (r, dir) => ({ dir: join(dir, "fetched"), digest, recipe: r, ready: async () => { throw new ToolchainGone("app:ansible-toolchain-x was deleted while this build ran"); } }),
    publish: async (t) => void published.push(t.digest),
  });
  const lines: string[] = [];
  const same = await nodeToolchain(cache, {}, "/nonexistent", gone(D("1")), (l) => lines.push(l));
  expect(await same.ready?.()).toBe(join(cache, recipe));
  expect(published).toEqual([D("1")]);
  expect(lines).toEqual([`ansible toolchain ${D("1").slice(0, 19)} was gone from the repository: built here (the same digest)`]);
  const other = await nodeToolchain(cache, {}, "/nonexistent", gone(D("2")));
  await expect(other.ready?.()).rejects.toThrow(`app:ansible-toolchain-x was deleted while this build ran, and the toolchain here (${join(cache, recipe)}) has digest ${D("1")}, not ${D("2")}; run the build again`);
});

test("a publish that fails is a warning: the build has its toolchain and goes on", async () => {
  const dir = await scratchDir("slipway-tc-");
  await mkdir(join(dir, "bin"));
  await writeFile(join(dir, "bin", "ansible-playbook"), "#!/bin/sh\n", { mode: 0o755 });
  const digest = (await run(toolchainScript(), ["--digest", dir])).stdout.trim();
  const registry = new MemoryRegistry("registry.test");
  registry.pushBlob = async () => {
    throw new Error("413 Request Entity Too Large");
  };
  const lines: string[] = [];
  await registryToolchains(registry, "app", { publish: true, log: (l) => lines.push(l) }).publish({ dir, digest, recipe: "e".repeat(32) });
  expect(lines).toEqual([`slipway: warning: publishing the ansible toolchain to app:ansible-toolchain-${"e".repeat(32)} failed (413 Request Entity Too Large); nodes without it build their own`]);
  // Read-only (plan --repo): nothing is even tried.
  await registryToolchains(registry, "app", { publish: false, log: (l) => lines.push(l) }).publish({ dir, digest, recipe: "e".repeat(32) });
  expect(lines).toHaveLength(1);
});
