import { describe, expect, test } from "vitest";
import { stageTag } from "../../../src/build/names.ts";
import { RegistryStageStore } from "../../../src/build/remote/store.ts";
import type { ImageConfigDocument } from "../../../src/engine/types.ts";
import { appendLayer, withConfig, type ImageManifest } from "../../../src/image/index.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { MEDIA_TYPES } from "../../../src/registry/index.ts";
import { sha256Digest } from "../../../src/registry/digest.ts";

const empty: ImageManifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: MEDIA_TYPES.ociConfig, digest: "sha256:0", size: 0 }, layers: [] };
const hex = (c: string) => c.repeat(64);
const config = (name: string, diffIds: string[]): ImageConfigDocument => ({ architecture: "amd64", os: "linux", config: { Labels: { stage: name } }, rootfs: { type: "layers", diff_ids: diffIds } });

function layer(text: string) {
  const data = new TextEncoder().encode(text);
  return { digest: sha256Digest(data), size: data.byteLength, data, mediaType: MEDIA_TYPES.ociLayerGzip };
}

/** A registry whose blob uploads wait until `release()` for the blobs `held` names; it records the order tags are written in. */
function slowRegistry() {
  const registry = new MemoryRegistry();
  const held = new Set<string>();
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const tags: string[] = [];
  const push = registry.pushBlob.bind(registry);
  registry.pushBlob = async (repo, digest, data, mountFrom) => {
    if (held.has(digest)) await released;
    return push(repo, digest, data, mountFrom);
  };
  const put = registry.putManifest.bind(registry);
  registry.putManifest = async (repo, reference, body, mediaType) => {
    const digest = await put(repo, reference, body, mediaType);
    tags.push(reference);
    return digest;
  };
  return { registry, held, release, tags };
}

/** Stage a (one new layer) and stage b on it (another layer): b's manifest names a's layer. */
function drafts() {
  const la = layer("layer of a");
  const lb = layer("layer of b");
  const a = appendLayer(empty, la, config("a", [la.digest]));
  const b = appendLayer(a.manifest, lb, config("b", [la.digest, lb.digest]));
  return { a, b, la };
}

/** Stages a and b on it, on a registry where the upload of a's layer fails. */
function failingUploadOfA() {
  const { registry, tags } = slowRegistry();
  const { a, b, la } = drafts();
  const push = registry.pushBlob.bind(registry);
  registry.pushBlob = async (repo, digest, data, mountFrom) => {
    if (digest === la.digest) throw new Error("upload of a's layer failed");
    return push(repo, digest, data, mountFrom);
  };
  return { tags, store: new RegistryStageStore(registry, "proj"), a, b, la };
}

describe("publishing a stage while the one under it uploads", () => {
  test("the stage is readable from its draft at once, with no registry request", async () => {
    const { registry, held, release } = slowRegistry();
    const store = new RegistryStageStore(registry, "proj");
    const { a, la } = drafts();
    held.add(la.digest);
    const reads: string[] = [];
    const getManifest = registry.getManifest.bind(registry);
    registry.getManifest = (repo, ref) => (reads.push(ref), getManifest(repo, ref));
    const publishing = store.publish(hex("a"), a);
    const read = await store.read(hex("a"));
    expect(read.config).toEqual(a.config);
    expect(read.manifest.layers.map((l) => l.digest)).toEqual([la.digest]);
    expect(reads).toEqual([]);
    release();
    expect(await publishing).toBe("published");
    expect((await store.read(hex("a"))).result.digest).toBe((await registry.headManifest("proj", stageTag(hex("a"))))?.digest);
  });

  test("with `after`, a stage's tag is written once the blobs it names, its parent's too, are in", async () => {
    const { registry, held, release, tags } = slowRegistry();
    const store = new RegistryStageStore(registry, "proj");
    const { a, b, la } = drafts();
    held.add(la.digest);
    const pa = store.publish(hex("a"), a);
    const pb = store.publish(hex("b"), b, [], { after: [hex("a")] });
    await new Promise((r) => setTimeout(r, 20));
    expect(tags).toEqual([]);
    release();
    expect(await Promise.all([pa, pb])).toEqual(["published", "published"]);
    expect(tags.sort()).toEqual([stageTag(hex("a")), stageTag(hex("b"))].sort());
  });

  test("without `after` the child's manifest would name a blob not yet uploaded (the registry refuses it)", async () => {
    const { registry, held, release } = slowRegistry();
    const store = new RegistryStageStore(registry, "proj");
    const { a, b, la } = drafts();
    held.add(la.digest);
    const pa = store.publish(hex("a"), a);
    await expect(store.publish(hex("b"), b)).rejects.toThrow(/MANIFEST_BLOB_UNKNOWN/);
    release();
    await pa;
  });

  test("a parent whose publish fails fails its child's too, and neither tag is written", async () => {
    const { tags, store, a, b, la } = failingUploadOfA();
    const pa = store.publish(hex("a"), a);
    const pb = store.publish(hex("b"), b, [], { after: [hex("a")] });
    await expect(pa).rejects.toThrow(/a's layer failed/);
    await expect(pb).rejects.toThrow(/a's layer failed/);
    expect(tags).toEqual([]);
    // Nothing half-published stays readable: the next read asks the registry, which has no such stage.
    await expect(store.read(hex("a"))).rejects.toThrow(/is not in/);
  });
});

describe("a stage made on one whose upload failed", () => {
  test("fails when it publishes after that failure too, writing nothing", async () => {
    const { tags, store, a, b, la } = failingUploadOfA();
    const pa = store.publish(hex("a"), a);
    // The child was made from a's draft while it uploaded, and publishes once a has failed.
    const draftOfA = await store.read(hex("a"));
    expect(draftOfA.manifest.layers.map((l) => l.digest)).toEqual([la.digest]);
    await expect(pa).rejects.toThrow(/a's layer failed/);
    await expect(store.publish(hex("b"), b, [], { after: [hex("a")] })).rejects.toThrow(/a's layer failed/);
    expect(tags).toEqual([]);
  });
});

describe("a stage whose layer is streaming to the registry as it is made", () => {
  test("its tag waits for the stream, and the layer is not pushed again when the stream landed it", async () => {
    const { registry, tags } = slowRegistry();
    const store = new RegistryStageStore(registry, "proj");
    const { a, la } = drafts();
    const pushed: string[] = [];
    const push = registry.pushBlob.bind(registry);
    registry.pushBlob = (repo, digest, data, mountFrom) => (pushed.push(digest), push(repo, digest, data, mountFrom));
    let landed!: (ok: boolean) => void;
    const streaming = new Map([[la.digest, new Promise<boolean>((r) => (landed = r))]]);
    const publishing = store.publish(hex("a"), a, [], { streaming });
    await new Promise((r) => setTimeout(r, 20));
    expect(tags).toEqual([]);
    // The stream lands the blob (here, as a real stream would have, before it says so).
    await push("proj", la.digest, la.data);
    landed(true);
    expect(await publishing).toBe("published");
    expect(pushed).not.toContain(la.digest);
    expect(tags).toEqual([stageTag(hex("a"))]);
  });

  test("a stream that failed has the layer pushed whole before the tag", async () => {
    const { registry, tags } = slowRegistry();
    const store = new RegistryStageStore(registry, "proj");
    const { a, la } = drafts();
    const publishing = store.publish(hex("a"), a, [], { streaming: new Map([[la.digest, Promise.resolve(false)]]) });
    expect(await publishing).toBe("published");
    expect(await registry.hasBlob("proj", la.digest)).toBe(true);
    expect(tags).toEqual([stageTag(hex("a"))]);
  });
});

describe("the build's lookup of its stages", () => {
  test("with `read`, a found stage is read with its config only: its manifest came with the lookup; a forgotten one is read again", async () => {
    const registry = new MemoryRegistry();
    const writer = new RegistryStageStore(registry, "proj");
    const { a } = drafts();
    await writer.publish(hex("a"), a);
    const store = new RegistryStageStore(registry, "proj");
    const reads: string[] = [];
    const getManifest = registry.getManifest.bind(registry);
    registry.getManifest = (repo, ref) => (reads.push(ref), getManifest(repo, ref));
    expect(await store.findMany([hex("a"), hex("b")], { read: true })).toEqual(new Set([hex("a")]));
    const looked = reads.length;
    expect((await store.read(hex("a"))).config).toEqual(a.config);
    expect(reads.length).toBe(looked);
    // Gone under the build (a cleanup): forgotten, and the next read asks the registry.
    store.forget(hex("a"));
    await store.read(hex("a"));
    expect(reads.length).toBe(looked + 1);
    // Without `read` the lookup keeps nothing.
    const plain = new RegistryStageStore(registry, "proj");
    await plain.findMany([hex("a")]);
    const before = reads.length;
    await plain.read(hex("a"));
    expect(reads.length).toBe(before + 1);
  });
});
