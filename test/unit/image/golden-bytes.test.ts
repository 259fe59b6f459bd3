import { describe, expect, test } from "vitest";
import { stageDocument } from "../../../src/build/stage-config.ts";
import type { PlannedStage } from "../../../src/build/plan.ts";
import type { Stage } from "../../../src/build/stage.ts";
import { appendLayer, asOciWithAnnotations, encodeJson, withAnnotations, withConfig, type ImageManifest } from "../../../src/image/index.ts";
import type { ImageConfigDocument } from "../../../src/engine/types.ts";
import { sha256Digest } from "../../../src/registry/digest.ts";
import { MEDIA_TYPES } from "../../../src/registry/types.ts";

/*
 * Golden bytes: the stage digests (golden-digests.test.ts) name stages, but what a node
 * finds under a name is a manifest over a config blob; their encodings (key order, media
 * types, annotations) decide the image ids and manifest digests every later build and
 * cleanup compares. Fixed inputs, fixed digests: a refactoring of the image data module
 * must not change a byte.
 */

const base: ImageConfigDocument = {
  architecture: "amd64",
  os: "linux",
  created: "2020-01-01T00:00:00Z",
  author: "base author",
  config: { Env: ["PATH=/bin"], Cmd: ["sh"], Labels: { base: "busybox" }, WorkingDir: "/" },
  rootfs: { type: "layers", diff_ids: ["sha256:" + "1".repeat(64)] },
};

const stage = {
  name: "install",
  kind: "user",
  isEmpty: () => false,
  inputs: () => [["commands", "echo"]],
  change: () => ({ kind: "config", apply: (c) => c }),
  needs: () => ["d".repeat(64)],
  gitFiles: () => "app:1",
} as Stage;

const planned: PlannedStage = { name: "install", digest: "e".repeat(64), parent: "f".repeat(64), inputs: [["commands", "echo"]], stage, ref: "slipway-stages/golden:e" };

const dockerManifest: ImageManifest = {
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.dockerManifest,
  config: { mediaType: MEDIA_TYPES.dockerConfig, digest: "sha256:" + "2".repeat(64), size: 100 },
  layers: [{ mediaType: MEDIA_TYPES.dockerLayer, digest: "sha256:" + "3".repeat(64), size: 1000 }],
};

const digestOf = (value: unknown) => sha256Digest(encodeJson(value));

describe("golden image bytes", () => {
  test("a stage's config document", () => {
    const doc = stageDocument(base, { ...base.config, User: "app" }, [...base.rootfs.diff_ids, "sha256:" + "4".repeat(64)], planned, { project: "golden", image: "app", gitCommit: "c1" });
    expect(digestOf(doc)).toMatchInlineSnapshot(`"sha256:8905a87ba7ae2718bc32536f84066a898429ba591d18f10c9483802fba7d9788"`);
  });

  test("manifests after each mutation", () => {
    const doc = stageDocument(base, base.config, base.rootfs.diff_ids, planned, { project: "golden", image: "app" });
    const configured = withConfig(dockerManifest, doc);
    expect(digestOf(configured.manifest)).toMatchInlineSnapshot(`"sha256:f9b0dd4b43de92fc7dbe7931bfc0ad5db3e3d93d7e56585488fc0e94bd5f9b20"`);
    expect(configured.newBlobs.map((b) => b.digest)).toEqual([configured.manifest.config.digest]);
    const gz = { digest: "sha256:" + "5".repeat(64), data: new Uint8Array([1, 2, 3]) };
    const appended = appendLayer(dockerManifest, gz, { ...doc, rootfs: { type: "layers", diff_ids: [...doc.rootfs.diff_ids, "sha256:" + "6".repeat(64)] } });
    expect(digestOf(appended.manifest)).toMatchInlineSnapshot(`"sha256:331b495341f9f89a0bafb976822d932b272c4589c1a922999ddc59a1644d0688"`);
    expect(digestOf(withAnnotations(dockerManifest, { "org.example": "x" }))).toMatchInlineSnapshot(`"sha256:83f0bfb2f06098cecd05c5007ff568e800ed941199ce0e0932d58720dc3bae3a"`);
    expect(digestOf(asOciWithAnnotations(configured, { "org.example": "y" }).manifest)).toMatchInlineSnapshot(`"sha256:b7ee087a4a157506e19818e2bd0b9a196854da26edc129c81f3345bed9f07f40"`);
    const oci = withAnnotations(dockerManifest, {});
    expect(digestOf(appendLayer(oci, gz, doc).manifest)).toMatchInlineSnapshot(`"sha256:f501addb4116a524220c5e68292860d4527b36309f41831e3bda61b437f0c752"`);
  });
});
