import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { copyImage } from "../../../src/registry/copy.ts";
import { sha256Digest } from "../../../src/registry/digest.ts";
import { MEDIA_TYPES, type Registry } from "../../../src/registry/types.ts";
import { configBlob, manifest, randomBlob } from "./fixtures.ts";

/** An image (config + one layer) pushed to `repo`, tagged `tag`. */
async function seedImage(reg: Registry, repo: string, tag: string) {
  const config = configBlob();
  const layer = randomBlob(256);
  await reg.pushBlob(repo, config.digest, config.data);
  await reg.pushBlob(repo, layer.digest, layer.data);
  const m = manifest("oci", config, [layer]);
  await reg.putManifest(repo, tag, m.body, m.mediaType);
  return { ...m, layer };
}

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

    it("streams a blob as a Node stream, counting its bytes as they are read", async () => {
      const reg = make();
      const repo = repoName("readable");
      const blob = randomBlob(300_000);
      await reg.pushBlob(repo, blob.digest, blob.data);
      const before = reg.stats.bytesPulled;
      const chunks: Buffer[] = [];
      for await (const c of await reg.readBlob(repo, blob.digest)) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks)).toEqual(Buffer.from(blob.data));
      expect(reg.stats.bytesPulled - before).toBe(300_000);
      await expect(reg.readBlob(repo, randomBlob(1).digest)).rejects.toMatchObject({ status: 404 });
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
      // With the manifests: each found tag's, as getManifest returns it; no manifest without asking.
      const withManifests = await reg.findTags(repo, ["stage", "other"], { manifests: true });
      expect([...withManifests.keys()]).toEqual(["stage"]);
      const found = withManifests.get("stage")!;
      expect([found.digest, found.mediaType, found.size, found.manifest?.digest, found.manifest?.mediaType]).toEqual([m.digest, m.mediaType, m.body.byteLength, m.digest, m.mediaType]);
      expect(Buffer.from(found.manifest!.body).equals(Buffer.from(m.body))).toBe(true);
      expect((await reg.findTags(repo, ["stage"])).get("stage")?.manifest).toBeUndefined();
      expect((await reg.listTags(repo)).sort()).toEqual(["final", "stage"]);
    });

    it("takes a blob streamed as it is made, under the digest of all its chunks, and counts its bytes", async () => {
      const reg = make();
      const repo = repoName("stream");
      const parts = [randomBytes(70_000), randomBytes(1), randomBytes(300_000)];
      async function* chunks() {
        for (const p of parts) {
          await new Promise((r) => setTimeout(r, 5));
          yield new Uint8Array(p);
        }
      }
      const whole = Buffer.concat(parts);
      expect(await reg.pushBlobStream(repo, chunks())).toEqual({ digest: sha256Digest(whole), size: whole.length });
      expect(reg.stats.bytesPushed).toBe(whole.length);
      expect(await reg.hasBlob(repo, sha256Digest(whole))).toBe(true);
      expect(Buffer.from(await reg.getBlob(repo, sha256Digest(whole)))).toEqual(whole);
    });

    it("takes the digest of a streamed blob from the caller, once its chunks have ended, and refuses a wrong one", async () => {
      const reg = make();
      const repo = repoName("stream-claimed");
      const parts = [randomBytes(50_000), randomBytes(20_000)];
      const whole = Buffer.concat(parts);
      let ended = false;
      async function* chunks() {
        for (const p of parts) yield new Uint8Array(p);
        ended = true;
      }
      const asked: boolean[] = [];
      const right = () => (asked.push(ended), sha256Digest(whole));
      expect(await reg.pushBlobStream(repo, chunks(), right)).toEqual({ digest: sha256Digest(whole), size: whole.length });
      expect(asked).toEqual([true]);
      expect(Buffer.from(await reg.getBlob(repo, sha256Digest(whole)))).toEqual(whole);

      ended = false;
      const other = sha256Digest(randomBytes(10));
      await expect(reg.pushBlobStream(repoName("stream-wrong"), chunks(), () => other)).rejects.toThrow();
      expect(await reg.hasBlob(repoName("stream-wrong"), other)).toBe(false);
    });

    it("a stream whose source fails leaves no blob behind", async () => {
      const reg = make();
      const repo = repoName("stream-fail");
      const first = randomBytes(1000);
      async function* chunks() {
        yield new Uint8Array(first);
        throw new Error("the layer could not be made");
      }
      await expect(reg.pushBlobStream(repo, chunks())).rejects.toThrow();
      expect(await reg.hasBlob(repo, sha256Digest(first))).toBe(false);
    });

    it("calls a lazy blob source only when the bytes must be sent", async () => {
      const reg = make();
      const [a, b] = [repoName("lazy-a"), repoName("lazy-b")];
      const blob = randomBlob(99);
      let calls = 0;
      const source = async () => (calls++, blob.data);
      expect(await reg.pushBlob(a, blob.digest, source)).toEqual({ uploaded: true });
      expect(await reg.pushBlob(a, blob.digest, source)).toEqual({ uploaded: false });
      expect(await reg.pushBlob(b, blob.digest, source, a)).toEqual({ uploaded: false });
      expect(calls).toBe(1);
      const wrong = randomBlob(5);
      await expect(reg.pushBlob(b, wrong.digest, async () => blob.data)).rejects.toMatchObject({ code: "DIGEST_INVALID" });
    });

    it("copies an image and an index to another repository by mounting, tags last", async () => {
      const reg = make();
      const [a, b] = [repoName("copy-a"), repoName("copy-b")];
      const image = await seedImage(reg, a, "stage");
      const got = (await reg.getManifest(a, "stage"))!;
      const before = { ...reg.stats };
      await copyImage(reg, { from: a, to: b, manifest: got, tags: ["web-main"] });
      expect((await reg.headManifest(b, "web-main"))?.digest).toBe(image.digest);
      expect(await reg.hasBlob(b, image.layer.digest)).toBe(true);
      expect(reg.stats.bytesPushed).toBe(before.bytesPushed);
      expect(reg.stats.bytesPulled).toBe(before.bytesPulled);
      const indexBody = new TextEncoder().encode(JSON.stringify({
        schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex,
        manifests: [{ mediaType: image.mediaType, digest: image.digest, size: image.body.byteLength, platform: { os: "linux", architecture: "amd64" } }],
      }));
      await reg.putManifest(a, "multi", indexBody, MEDIA_TYPES.ociIndex);
      const index = { digest: sha256Digest(indexBody), mediaType: MEDIA_TYPES.ociIndex, body: indexBody };
      const c = repoName("copy-c");
      await copyImage(reg, { from: a, to: c, manifest: index, tags: ["multi"] });
      expect((await reg.headManifest(c, "multi"))?.mediaType).toBe(MEDIA_TYPES.ociIndex);
      expect((await reg.getManifest(c, image.digest))?.digest).toBe(image.digest);
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
