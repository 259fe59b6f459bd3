import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { fetchToolchain, publishToolchain, toolchainTag } from "../../../src/ansible/publish.ts";
import type { Toolchain } from "../../../src/ansible/toolchain.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { createRegistry } from "../../../src/registry/index.ts";
import { scratchDir, testRegistry } from "../../support/services.ts";
import { testToolchain } from "./support.ts";

let registry: LocalRegistry;
let toolchain: Toolchain;

beforeAll(async () => {
  [registry, toolchain] = await Promise.all([testRegistry(), testToolchain()]);
}, 120_000);

afterAll(() => registry?.stop());

test("the toolchain is published as a one-layer image tagged by its digest, and fetched to another node intact", async () => {
  const client = createRegistry({ host: registry.host });
  const manifestDigest = await publishToolchain(client, "slipway/ansible", toolchain);
  const manifest = await client.getManifest("slipway/ansible", toolchainTag(toolchain.digest));
  expect(manifest?.digest).toBe(manifestDigest);
  const doc = JSON.parse(Buffer.from(manifest!.body).toString()) as { config: { digest: string }; layers: unknown[] };
  expect(doc.layers).toHaveLength(1);
  const config = JSON.parse(Buffer.from(await client.getBlob("slipway/ansible", doc.config.digest)).toString()) as { rootfs: { diff_ids: string[] } };
  expect(config.rootfs.diff_ids).toEqual([toolchain.digest]);

  // Content-addressed: publishing again uploads nothing.
  const pushed = client.stats.bytesPushed;
  expect(await publishToolchain(client, "slipway/ansible", toolchain)).toBe(manifestDigest);
  expect(client.stats.bytesPushed).toBe(pushed);

  const node = join(await scratchDir("slipway-node-"), "ansible", "t");
  const fetched = await fetchToolchain(createRegistry({ host: registry.host }), "slipway/ansible", toolchain.digest, node);
  expect(fetched).toEqual({ dir: node, digest: toolchain.digest });
  expect(existsSync(join(node, "bin", "ansible-playbook"))).toBe(true);
  expect(await fetchToolchain(client, "slipway/ansible", `sha256:${"0".repeat(64)}`, `${node}-none`)).toBeUndefined();
}, 180_000);
