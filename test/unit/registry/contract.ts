import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Registry } from "../../../src/registry/types.ts";
import { configBlob, manifest, randomBlob } from "./fixtures.ts";

/** A fresh repository name per test, so implementations backed by one server can share it. */
const repoName = (what: string) => `contract/${what}-${randomBytes(4).toString("hex")}`;

/**
 * The behaviour every Registry implementation must show. Run against the
 * in-memory registry (unit) and the fetch client on a real registry (integration).
 */
export function registryContract(name: string, make: () => Registry) {
  describe(`Registry contract: ${name}`, () => {
    it("reports absent things as absent", async () => {
      const reg = make();
      const repo = repoName("absent");
      expect(await reg.headManifest(repo, "nope")).toBeUndefined();
      expect(await reg.getManifest(repo, "nope")).toBeUndefined();
      expect(await reg.hasBlob(repo, randomBlob(1).digest)).toBe(false);
      expect(await reg.listTags(repo)).toEqual([]);
      expect((await reg.findTags(repo, ["a", "b"])).size).toBe(0);
      await expect(reg.getBlob(repo, randomBlob(1).digest)).rejects.toMatchObject({ name: "RegistryError", status: 404, code: "BLOB_UNKNOWN" });
    });

    it("uploads a blob once and counts only the bytes sent; a mount sends none", async () => {
      const reg = make();
      const [a, b] = [repoName("blob-a"), repoName("blob-b")];
      const blob = randomBlob(777);
      expect(await reg.pushBlob(a, blob.digest, blob.data)).toEqual({ uploaded: true });
      expect(await reg.pushBlob(a, blob.digest, blob.data)).toEqual({ uploaded: false });
      expect(await reg.pushBlob(b, blob.digest, blob.data, a)).toEqual({ uploaded: false });
      expect(reg.stats.bytesPushed).toBe(777);
      expect(Buffer.from(await reg.getBlob(b, blob.digest))).toEqual(Buffer.from(blob.data));
      expect(reg.stats.bytesPulled).toBe(777);
      await expect(reg.pushBlob(a, randomBlob(3).digest, blob.data)).rejects.toMatchObject({ code: "DIGEST_INVALID" });
    });

    it.each(["docker", "oci"] as const)("round-trips a %s manifest, writes tags from it and finds them", async (kind) => {
      const reg = make();
      const repo = repoName(kind);
      const config = configBlob();
      const layer = randomBlob(64);
      await reg.pushBlob(repo, config.digest, config.data);
      await reg.pushBlob(repo, layer.digest, layer.data);
      const m = manifest(kind, config, [layer]);
      expect(await reg.putManifest(repo, "stage", m.body, m.mediaType)).toBe(m.digest);
      const got = await reg.getManifest(repo, "stage");
      expect(got).toEqual({ digest: m.digest, mediaType: m.mediaType, body: m.body });
      await reg.tagManifest(repo, "final", got!);
      expect(await reg.headManifest(repo, "final")).toEqual({ digest: m.digest, mediaType: m.mediaType, size: m.body.byteLength });
      expect([...(await reg.findTags(repo, ["stage", "final", "other"])).keys()].sort()).toEqual(["final", "stage"]);
      expect((await reg.listTags(repo)).sort()).toEqual(["final", "stage"]);
    });

    it("refuses a manifest whose blobs are missing", async () => {
      const reg = make();
      const m = manifest("docker", configBlob(), []);
      await expect(reg.putManifest(repoName("missing"), "x", m.body, m.mediaType)).rejects.toMatchObject({ status: 400, code: "MANIFEST_BLOB_UNKNOWN" });
    });

    it("deletes a manifest with its tags; deleting again is fine", async () => {
      const reg = make();
      const repo = repoName("delete");
      const config = configBlob();
      await reg.pushBlob(repo, config.digest, config.data);
      const m = manifest("oci", config, []);
      await reg.putManifest(repo, "a", m.body, m.mediaType);
      await reg.putManifest(repo, "b", m.body, m.mediaType);
      await reg.deleteManifest(repo, m.digest);
      expect(await reg.headManifest(repo, "a")).toBeUndefined();
      expect(await reg.headManifest(repo, "b")).toBeUndefined();
      expect(await reg.listTags(repo)).toEqual([]);
      await reg.deleteManifest(repo, m.digest);
    });
  });
}
