import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { fetchToolchain, publishedToolchain, publishToolchain, toolchainTag, TOOLCHAIN_ANNOTATION } from "../../../src/ansible/publish.ts";
import type { Toolchain } from "../../../src/ansible/toolchain.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { createRegistry } from "../../../src/registry/index.ts";
import { scratchDir, testRegistry } from "../../support/services.ts";
import { testToolchain } from "./support.ts";

let registry: LocalRegistry;
let toolchain: Toolchain & { recipe: string };

beforeAll(async () => {
  let t: Toolchain;
  [registry, t] = await Promise.all([testRegistry(), testToolchain()]);
  if (!t.recipe) throw new Error("the test toolchain was built without a recipe id");
  toolchain = { ...t, recipe: t.recipe };
}, 120_000);

afterAll(() => registry?.stop());

test("the toolchain is published as a one-layer image tagged by its recipe, and fetched to another node intact", async () => {
  const client = createRegistry({ host: registry.host });
  expect(toolchainTag(toolchain.recipe)).toMatch(/^ansible-toolchain-[0-9a-f]{32}$/);
  const { manifestDigest, pushed } = await publishToolchain(client, "slipway/ansible", toolchain);
  expect(pushed).toBeGreaterThan(1_000_000);
  const manifest = await client.getManifest("slipway/ansible", toolchainTag(toolchain.recipe));
  expect(manifest?.digest).toBe(manifestDigest);
  const doc = JSON.parse(Buffer.from(manifest!.body).toString()) as { config: { digest: string }; layers: unknown[]; annotations: Record<string, string> };
  expect(doc.layers).toHaveLength(1);
  expect(doc.annotations[TOOLCHAIN_ANNOTATION]).toBe(toolchain.digest);
  const config = JSON.parse(Buffer.from(await client.getBlob("slipway/ansible", doc.config.digest)).toString()) as { rootfs: { diff_ids: string[] } };
  expect(config.rootfs.diff_ids).toEqual([toolchain.digest]);
  // A node that has not built it learns the digest from the recipe alone.
  expect((await publishedToolchain(client, "slipway/ansible", toolchain.recipe))?.digest).toBe(toolchain.digest);

  // The first node wins, the tag never moves: publishing again uploads nothing.
  const before = client.stats.bytesPushed;
  expect(await publishToolchain(client, "slipway/ansible", { ...toolchain, digest: `sha256:${"1".repeat(64)}` })).toEqual({ manifestDigest, pushed: 0 });
  expect(client.stats.bytesPushed).toBe(before);

  const node = join(await scratchDir("slipway-node-"), "ansible", "t");
  const bytes = await fetchToolchain(createRegistry({ host: registry.host }), "slipway/ansible", toolchain.recipe, toolchain.digest, node);
  expect(bytes).toBeGreaterThan(1_000_000);
  expect(existsSync(join(node, "bin", "ansible-playbook"))).toBe(true);
  // Once: a second fetch finds the directory.
  expect(await fetchToolchain(client, "slipway/ansible", toolchain.recipe, toolchain.digest, node)).toBe(0);
  expect(await fetchToolchain(client, "slipway/ansible", "0".repeat(32), toolchain.digest, `${node}-none`)).toBeUndefined();
  await expect(fetchToolchain(client, "slipway/ansible", toolchain.recipe, `sha256:${"2".repeat(64)}`, `${node}-other`)).rejects.toThrow(/now holds toolchain sha256:[0-9a-f]{64}, not sha256:2{64}/);
}, 180_000);
