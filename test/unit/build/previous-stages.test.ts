import { describe, expect, test } from "vitest";
import { ANNOTATIONS, LABELS } from "../../../src/build/names.ts";
import { previousStages } from "../../../src/build/remote/previous.ts";
import { RegistryStageStore } from "../../../src/build/remote/store.ts";
import type { ImageConfigDocument } from "../../../src/engine/types.ts";
import { asOciWithAnnotations, encodeJson, withConfig, type ImageManifest } from "../../../src/image/index.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { MEDIA_TYPES } from "../../../src/registry/index.ts";

const empty: ImageManifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: MEDIA_TYPES.ociConfig, digest: "sha256:0", size: 0 }, layers: [] };
const hex = (c: string) => c.repeat(64);

/** Three stages a, b, c (each the parent of the next) and a final image tagged main over c. */
async function world(annotate: "listed" | "legacy" | "garbled") {
  const registry = new MemoryRegistry();
  const store = new RegistryStageStore(registry, "proj");
  const names = ["from", "install", "setup"];
  const digests = [hex("a"), hex("b"), hex("c")];
  for (const [i, name] of names.entries()) {
    const labels: Record<string, string> = { [LABELS.stage]: name, [LABELS.parent]: digests[i - 1] ?? "", [LABELS.inputs]: JSON.stringify({ n: String(i) }) };
    const config: ImageConfigDocument = { architecture: "amd64", os: "linux", config: { Labels: labels }, rootfs: { type: "layers", diff_ids: [] } };
    await store.publish(digests[i], withConfig(empty, config));
  }
  const stages: Record<string, string> = annotate === "listed" ? { [ANNOTATIONS.stages]: JSON.stringify(Object.fromEntries(names.map((n, i) => [n, digests[i]]))) }
    : annotate === "garbled" ? { [ANNOTATIONS.stages]: "{not json" } : {};
  const last = await store.read(digests[2]);
  const final = asOciWithAnnotations(withConfig(last.manifest, last.config), { [ANNOTATIONS.stage]: digests[2], ...stages });
  for (const b of final.newBlobs) await registry.pushBlob("proj", b.digest, b.data);
  await registry.putManifest("proj", "main", encodeJson(final.manifest), final.manifest.mediaType);
  // A fresh node: nothing read yet.
  return { registry, store: new RegistryStageStore(registry, "proj") };
}

describe("the stages an image's tag names, for explanations", () => {
  test.each(["listed", "legacy", "garbled"] as const)("found by name (%s final manifest)", async (kind) => {
    const { store } = await world(kind);
    const found = await previousStages(store, "", "main");
    expect([...found.keys()].sort()).toEqual(["from", "install", "setup"]);
    expect(found.get("install")!.config.config.Labels![LABELS.inputs]).toBe(JSON.stringify({ n: "1" }));
  });

  test("a final manifest that lists its stages is read in two rounds, not one per stage", async () => {
    const { registry, store } = await world("listed");
    let inFlight = 0;
    let most = 0;
    const read = store.read.bind(store);
    store.read = async (d) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      try {
        return await read(d);
      } finally {
        inFlight--;
      }
    };
    await previousStages(store, "", "main");
    expect(most).toBe(3);
    expect(registry.stats.requests).toBeGreaterThan(0);
  });

  test("asked for some stages, a listing final manifest has only those read", async () => {
    const { registry, store } = await world("listed");
    const asked: string[] = [];
    const read = store.read.bind(store);
    store.read = (d) => (asked.push(d), read(d));
    const found = await previousStages(store, "", "main", undefined, ["setup"]);
    expect([...found.keys()]).toEqual(["setup"]);
    expect(asked).toEqual([hex("c")]);
    // Without a listing (an older image), the parents are walked as before.
    const legacy = await world("legacy");
    expect([...(await previousStages(legacy.store, "", "main", undefined, ["setup"])).keys()].sort()).toEqual(["from", "install", "setup"]);
    expect(registry.stats.requests).toBeGreaterThan(0);
  });

  test("no image under the tag: nothing to explain against", async () => {
    const { store } = await world("listed");
    expect((await previousStages(store, "", "other")).size).toBe(0);
  });
});
