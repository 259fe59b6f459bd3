import { describe, expect, test } from "vitest";
import { buildLayer, gzipLayer } from "../../../src/build/layer.ts";
import { appendLayer, asOciWithAnnotations, encodeJson, parseManifest, withConfig, type ImageManifest } from "../../../src/image/index.ts";
import { RegistryStageStore } from "../../../src/build/remote/store.ts";
import { dotenvLines, slugTag, tagsFromFlags } from "../../../src/build/remote/tags.ts";
import type { ImageConfigDocument } from "../../../src/engine/types.ts";
import { UsageError } from "../../../src/errors.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { MEDIA_TYPES, sha256Digest } from "../../../src/registry/index.ts";

describe("tags", () => {
  test("valid tags are kept; others are slugified with a hash that keeps distinct refs distinct", () => {
    expect(slugTag("main")).toBe("main");
    expect(slugTag("v1.2.3")).toBe("v1.2.3");
    const a = slugTag("feature/login");
    const b = slugTag("feature-login");
    expect(a).toMatch(/^feature-login-[0-9a-f]{8}$/);
    expect(b).toBe("feature-login");
    expect(a).not.toBe(b);
    expect(slugTag("feature/Login")).not.toBe(slugTag("feature/login"));
    expect(slugTag("x".repeat(300)).length).toBeLessThanOrEqual(128);
    expect(slugTag("-leading")).toMatch(/^[A-Za-z0-9_]/);
  });

  test("flags take GitLab's variables; --tag-ci prefers the commit tag", () => {
    const env = { CI_COMMIT_REF_NAME: "feature/x", CI_COMMIT_SHA: "abc123", CI_COMMIT_TAG: undefined };
    expect(tagsFromFlags({ tagCi: true }, env)).toEqual([slugTag("feature/x")]);
    expect(tagsFromFlags({ tagCi: true }, { ...env, CI_COMMIT_TAG: "v2" })).toEqual(["v2"]);
    expect(tagsFromFlags({ tagCommit: true, tag: ["a", "a"] }, env)).toEqual(["abc123", "a"]);
    expect(() => tagsFromFlags({}, env)).toThrow(UsageError);
    expect(() => tagsFromFlags({ tagBranch: true }, {})).toThrow(/CI_COMMIT_REF_NAME/);
  });

  test("dotenv lines name images by their exact digest", () => {
    expect(dotenvLines([
      { name: "web-app", repository: "r/x/web-app", manifestDigest: "sha256:1" },
      { name: "", repository: "r/x", manifestDigest: "sha256:2" },
      { name: "skipped", repository: "r/x/s", manifestDigest: null },
    ])).toBe("SLIPWAY_IMAGE_WEB_APP=r/x/web-app@sha256:1\nSLIPWAY_IMAGE=r/x@sha256:2\n");
  });
});

const config: ImageConfigDocument = { architecture: "amd64", os: "linux", config: { Env: ["A=1"] }, rootfs: { type: "layers", diff_ids: ["sha256:base"] } };
const base: ImageManifest = {
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.dockerManifest,
  config: { mediaType: MEDIA_TYPES.dockerConfig, digest: "sha256:c", size: 1 },
  layers: [{ mediaType: MEDIA_TYPES.dockerLayer, digest: "sha256:l1", size: 10 }],
};

describe("image mutation", () => {
  test("appending a layer is deterministic and keeps the manifest family", async () => {
    const layer = await buildLayer([{ type: "file", path: "/app/a", mode: 0o644, uid: 0, gid: 0, content: Buffer.from("a") }]);
    const next = { ...config, rootfs: { type: "layers" as const, diff_ids: [...config.rootfs.diff_ids, layer.diffId] } };
    const one = appendLayer(base, (await gzipLayer(layer))!, next);
    const two = appendLayer(base, (await gzipLayer(await buildLayer([{ type: "file", path: "/app/a", mode: 0o644, uid: 0, gid: 0, content: Buffer.from("a") }])))!, next);
    expect(encodeJson(one.manifest)).toEqual(encodeJson(two.manifest));
    expect(one.manifest.layers).toHaveLength(2);
    expect(one.manifest.layers[1].mediaType).toBe(MEDIA_TYPES.dockerLayer);
    expect(one.newBlobs.map((b) => b.digest)).toEqual([one.manifest.layers[1].digest, one.manifest.config.digest]);
    for (const blob of one.newBlobs) expect(sha256Digest(blob.data)).toBe(blob.digest);
  });

  test("final images are OCI manifests over the same layers with annotations", () => {
    const final = asOciWithAnnotations(withConfig(base, config), { "io.slipway.stage": "d" });
    expect(final.manifest.mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(final.manifest.layers.map((l) => l.digest)).toEqual(["sha256:l1"]);
    expect(final.manifest.layers[0].mediaType).toBe(MEDIA_TYPES.ociLayerGzip);
    expect(final.manifest.annotations).toEqual({ "io.slipway.stage": "d" });
    expect(parseManifest(encodeJson(final.manifest)).config.mediaType).toBe(MEDIA_TYPES.ociConfig);
  });
});

describe("stage store", () => {
  test("publishing is create-if-absent: a second publisher of the same digest adopts the first one's stage", async () => {
    const registry = new MemoryRegistry();
    const store = new RegistryStageStore(registry, "p/stages");
    const digest = "f".repeat(64);
    const mine = withConfig({ ...base, layers: [] }, { ...config, rootfs: { type: "layers", diff_ids: [] }, config: { Env: ["WHO=me"] } });
    const theirs = withConfig({ ...base, layers: [] }, { ...config, rootfs: { type: "layers", diff_ids: [] }, config: { Env: ["WHO=them"] } });
    expect(await store.findMany([digest])).toEqual(new Set());
    expect(await store.publish(digest, theirs)).toBe("published");
    expect(await store.publish(digest, mine)).toBe("adopted");
    const stored = await store.read(digest);
    expect(stored.config.config.Env).toEqual(["WHO=them"]);
    expect(await store.findMany([digest, "0".repeat(64)])).toEqual(new Set([digest]));
    expect(store.ref(digest)).toBe(`memory.invalid/p/stages:stage-${digest}`);
  });
});
