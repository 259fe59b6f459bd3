import { describe, expect, test } from "vitest";
import { ANNOTATIONS, stageTag } from "../../../src/build/names.ts";
import { encodeJson, parseManifest, withConfig, type ImageManifest } from "../../../src/image/index.ts";
import { remakeMissing, repairing } from "../../../src/build/remote/repair.ts";
import { RegistryStageStore, StageGoneError } from "../../../src/build/remote/store.ts";
import { publishedOf } from "../../../src/cleanup/reach.ts";
import type { ImageConfigDocument } from "../../../src/engine/types.ts";
import { RegistryError } from "../../../src/errors.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { MEDIA_TYPES, sha256Digest } from "../../../src/registry/index.ts";

const config: ImageConfigDocument = { architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [] } };
const empty: ImageManifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest, config: { mediaType: MEDIA_TYPES.dockerConfig, digest: "sha256:c", size: 1 }, layers: [] };
const D = "a".repeat(64);
const clock = () => new Date("2026-12-01T10:00:00.000Z");

describe("stage publish time", () => {
  test("a stage made in the registry is published with io.slipway.published under its digest's tag", async () => {
    const registry = new MemoryRegistry();
    const store = new RegistryStageStore(registry, "p", clock);
    expect(await store.publish(D, withConfig(empty, config))).toBe("published");
    const m = await registry.getManifest("p", stageTag(D));
    expect(publishedOf(m!.body)).toEqual(clock());
    expect(parseManifest(m!.body).annotations?.[ANNOTATIONS.published]).toBe("2026-12-01T10:00:00.000Z");
  });

  test("an engine-pushed manifest is written again as its OCI twin: same blobs, plus the publish time", async () => {
    const registry = new MemoryRegistry();
    const cfg = new Uint8Array([1]);
    const layer = new Uint8Array([2, 3]);
    const docker: ImageManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerManifest,
      config: { mediaType: MEDIA_TYPES.dockerConfig, digest: sha256Digest(cfg), size: 1 },
      layers: [{ mediaType: MEDIA_TYPES.dockerLayer, digest: sha256Digest(layer), size: 2 }],
    };
    await registry.pushBlob("p", docker.config.digest, cfg);
    await registry.pushBlob("p", docker.layers[0].digest, layer);
    await registry.putManifest("p", stageTag(D), encodeJson(docker), docker.mediaType);
    const store = new RegistryStageStore(registry, "p", clock);
    expect(await store.stamp(D)).toEqual(docker);
    const now = parseManifest((await registry.getManifest("p", stageTag(D)))!.body);
    expect(now.mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(now.config).toEqual({ ...docker.config, mediaType: MEDIA_TYPES.ociConfig });
    expect(now.layers).toEqual([{ mediaType: MEDIA_TYPES.ociLayerGzip, digest: docker.layers[0].digest, size: 2 }]);
    expect(now.annotations).toEqual({ [ANNOTATIONS.published]: "2026-12-01T10:00:00.000Z" });
  });

  test("a stage that is gone is a StageGoneError (404, MANIFEST_UNKNOWN) naming its digest", async () => {
    const store = new RegistryStageStore(new MemoryRegistry(), "p");
    for (const read of [() => store.read(D), () => store.manifest(D), () => store.stamp(D)]) {
      const err = await read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StageGoneError);
      expect(err).toBeInstanceOf(RegistryError);
      expect(err).toMatchObject({ digest: D, status: 404, code: "MANIFEST_UNKNOWN" });
    }
  });
});

test("a stage tag whose config blob is gone (404) is a StageGoneError too", async () => {
  const registry = new MemoryRegistry();
  await new RegistryStageStore(registry, "p", clock).publish(D, withConfig(empty, config));
  const blobless = Object.assign(Object.create(registry) as MemoryRegistry, {
    getBlob: async () => Promise.reject(new RegistryError("GET blob: 404 BLOB_UNKNOWN", 404, "BLOB_UNKNOWN")),
  });
  await expect(new RegistryStageStore(blobless, "p").read(D)).rejects.toMatchObject({ digest: D, code: "MANIFEST_UNKNOWN" });
  const flaky = Object.assign(Object.create(registry) as MemoryRegistry, { getBlob: async () => Promise.reject(new RegistryError("GET blob: 503", 503)) });
  await expect(new RegistryStageStore(flaky, "p").read(D)).rejects.not.toBeInstanceOf(StageGoneError);
});

describe("repairing a step", () => {
  test("a stage found gone is remade, then the step runs again", async () => {
    const remade: string[] = [];
    let runs = 0;
    const out = await repairing(async (d) => (remade.push(d), true), async () => {
      if (++runs < 3) throw new StageGoneError(`${runs}`.repeat(64), "r/p");
      return "done";
    });
    expect([out, runs, remade]).toEqual(["done", 3, ["1".repeat(64), "2".repeat(64)]]);
  });

  test("other errors, stages the plan does not have, and endless losses are not repaired", async () => {
    const boom = new Error("engine down");
    await expect(repairing(async () => true, async () => Promise.reject(boom))).rejects.toBe(boom);
    const foreign = new StageGoneError(D, "r/p");
    await expect(repairing(async () => false, async () => Promise.reject(foreign))).rejects.toBe(foreign);
    let remakes = 0;
    await expect(repairing(async () => (remakes++, true), async () => Promise.reject(new StageGoneError(D, "r/p")))).rejects.toBeInstanceOf(StageGoneError);
    expect(remakes).toBe(8);
  });

  test("after the last tag, missing stages are remade in plan order, each once", async () => {
    const order: string[] = [];
    const remade = await remakeMissing(["a", "b", "c", "b"], async () => new Set(["b"]), async (d) => (order.push(d), d !== "c"));
    expect(order).toEqual(["a", "c"]);
    expect(remade).toEqual(new Set(["a"]));
  });
});
