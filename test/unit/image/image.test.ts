import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import {
  MEDIA_TYPES, appendDiffId, appendLayer, asOciWithAnnotations, configDigest, encodeConfig, encodeJson, normaliseRuntimeConfig,
  parseConfig, parseManifest, setCreated, setRuntime, withAnnotations, withConfig, type ImageConfigDocument, type ImageManifest,
} from "../../../src/image/index.ts";

const d = (c: string) => `sha256:${c.repeat(64)}`;

function config(): ImageConfigDocument {
  return { architecture: "amd64", os: "linux", config: { Env: ["A=1"], Cmd: ["sh"] }, rootfs: { type: "layers", diff_ids: [d("1")] } };
}

function manifest(mediaType: string = MEDIA_TYPES.dockerManifest): ImageManifest {
  const docker = mediaType === MEDIA_TYPES.dockerManifest;
  return {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: docker ? MEDIA_TYPES.dockerConfig : MEDIA_TYPES.ociConfig, digest: d("2"), size: 10 },
    layers: [{ mediaType: docker ? MEDIA_TYPES.dockerLayer : MEDIA_TYPES.ociLayerGzip, digest: d("3"), size: 100 }],
  };
}

const sha = (data: Uint8Array) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

describe("config documents", () => {
  test("encode in their own key order; the image id is the digest of those bytes", () => {
    const c = config();
    expect(new TextDecoder().decode(encodeConfig(c))).toBe(JSON.stringify(c));
    expect(configDigest(c)).toBe(sha(encodeConfig(c)));
    expect(parseConfig(encodeConfig(c))).toEqual(c);
  });

  test("a runtime config keeps only the keys that are set (an empty Cmd stays: it clears the base's)", () => {
    expect(normaliseRuntimeConfig({ User: "", Env: [], Labels: {}, Cmd: [], Hostname: "x", WorkingDir: "/w", Volumes: null })).toEqual({ Cmd: [], WorkingDir: "/w" });
    expect(normaliseRuntimeConfig(undefined)).toEqual({});
  });

  test("mutations return new documents and leave their input alone", () => {
    const c = config();
    const before = structuredClone(c);
    expect(appendDiffId(c, d("4")).rootfs.diff_ids).toEqual([d("1"), d("4")]);
    expect(setRuntime(c, { User: "app" }).config).toEqual({ User: "app" });
    expect(setCreated(c, "2024-01-01T00:00:00Z").created).toBe("2024-01-01T00:00:00Z");
    expect(c).toEqual(before);
  });
});

describe("manifests", () => {
  test("parse an image manifest; an index is refused, a missing mediaType means OCI", () => {
    expect(parseManifest(encodeJson(manifest()))).toEqual(manifest());
    const { mediaType: _, ...bare } = manifest(MEDIA_TYPES.ociManifest);
    expect(parseManifest(encodeJson(bare)).mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(() => parseManifest(encodeJson({ schemaVersion: 2, manifests: [] }))).toThrow(expect.objectContaining({ code: "MANIFEST_INVALID" }));
  });

  test("withConfig replaces the config blob in the manifest's own format and uploads only it", () => {
    for (const [format, configType] of [[MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerConfig], [MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociConfig]]) {
      const base = manifest(format);
      const draft = withConfig(base, config());
      expect(draft.manifest.config).toEqual({ mediaType: configType, digest: configDigest(config()), size: encodeConfig(config()).length });
      expect(draft.manifest.layers).toEqual(base.layers);
      expect(draft.newBlobs).toEqual([{ digest: configDigest(config()), data: encodeConfig(config()), unseen: true }]);
      expect(base).toEqual(manifest(format));
    }
  });

  test("appendLayer adds the gzip layer last, in the manifest's format, and uploads it before the config", () => {
    const gz = { digest: d("5"), data: new Uint8Array([1, 2, 3]) };
    const docker = appendLayer(manifest(), gz, appendDiffId(config(), d("6")));
    expect(docker.manifest.layers.at(-1)).toEqual({ mediaType: MEDIA_TYPES.dockerLayer, digest: d("5"), size: 3 });
    expect(docker.newBlobs.map((b) => b.digest)).toEqual([d("5"), docker.manifest.config.digest]);
    expect(appendLayer(manifest(MEDIA_TYPES.ociManifest), gz, config()).manifest.layers.at(-1)?.mediaType).toBe(MEDIA_TYPES.ociLayerGzip);
  });

  test("annotations make a Docker manifest its OCI twin over the same blobs", () => {
    const oci = withAnnotations({ ...manifest(), annotations: undefined }, { a: "1" });
    expect(oci).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: d("2"), size: 10 },
      layers: [{ mediaType: MEDIA_TYPES.ociLayerGzip, digest: d("3"), size: 100 }],
      annotations: { a: "1" },
    });
    expect(withAnnotations(oci, { b: "2" }).annotations).toEqual({ a: "1", b: "2" });
    const final = asOciWithAnnotations(withConfig(manifest(), config()), { only: "this" });
    expect(final.manifest.annotations).toEqual({ only: "this" });
    expect(final.manifest.config.mediaType).toBe(MEDIA_TYPES.ociConfig);
    expect(final.newBlobs.map((b) => b.digest)).toEqual([configDigest(config())]);
  });
});
