import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryError } from "../../../src/errors.ts";
import { createRegistry } from "../../../src/registry/index.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { MEDIA_TYPES } from "../../../src/registry/types.ts";
import { testRegistry } from "../../support/services.ts";
import { configBlob, fastRetry, manifest, randomBlob, readAll } from "../../unit/registry/fixtures.ts";
import { startProxy } from "./proxy.ts";

let server: LocalRegistry;
beforeAll(async () => {
  server = await testRegistry();
});
afterAll(async () => {
  await server?.stop();
});

const client = (extra: { tagsPageSize?: number } = {}) => createRegistry({ host: server.host, retry: fastRetry(), ...extra });

/** Pushes a one-layer image and returns its parts. */
async function pushImage(repo: string, tag: string, kind: "docker" | "oci" = "docker") {
  const reg = client();
  const layer = randomBlob(1024);
  const config = configBlob();
  await reg.pushBlob(repo, layer.digest, layer.data);
  await reg.pushBlob(repo, config.digest, config.data);
  const m = manifest(kind, config, [layer]);
  const digest = await reg.putManifest(repo, tag, m.body, m.mediaType);
  return { reg, layer, config, m, digest };
}

describe("OCI registry client against a real registry", () => {
  it("pushes a blob once, reads it back verified, and counts only bytes that moved", async () => {
    const reg = client();
    const blob = randomBlob(2048);
    expect(await reg.hasBlob("blobs/a", blob.digest)).toBe(false);
    expect(await reg.pushBlob("blobs/a", blob.digest, blob.data)).toEqual({ uploaded: true });
    expect(await reg.pushBlob("blobs/a", blob.digest, blob.data)).toEqual({ uploaded: false });
    expect(reg.stats.bytesPushed).toBe(2048);
    expect(await reg.hasBlob("blobs/a", blob.digest)).toBe(true);
    expect(Buffer.from(await reg.getBlob("blobs/a", blob.digest))).toEqual(Buffer.from(blob.data));
    expect(reg.stats.bytesPulled).toBe(2048);
    expect(await readAll(await reg.getBlobStream("blobs/a", blob.digest))).toEqual(Buffer.from(blob.data));
    expect(reg.stats.bytesPulled).toBe(4096);
  });

  it("mounts a blob across repositories without uploading it", async () => {
    const reg = client();
    const blob = randomBlob(4096);
    await reg.pushBlob("mount/src", blob.digest, blob.data);
    const before = reg.stats.bytesPushed;
    expect(await reg.pushBlob("mount/dst", blob.digest, blob.data, "mount/src")).toEqual({ uploaded: false });
    expect(reg.stats.bytesPushed).toBe(before);
    expect(await reg.hasBlob("mount/dst", blob.digest)).toBe(true);
    const log = await readFile(server.logPath, "utf8");
    expect(log).toMatch(/mount=sha256/);
  });

  it("falls back to an upload when the mount source lacks the blob", async () => {
    const reg = client();
    const blob = randomBlob(300);
    expect(await reg.pushBlob("mount/dst2", blob.digest, blob.data, "mount/nowhere")).toEqual({ uploaded: true });
    expect(reg.stats.bytesPushed).toBe(300);
    expect(await reg.hasBlob("mount/dst2", blob.digest)).toBe(true);
  });

  it.each(["docker", "oci"] as const)("puts, heads and gets a %s manifest", async (kind) => {
    const { reg, m, digest } = await pushImage(`manifests/${kind}`, "v1", kind);
    expect(digest).toBe(m.digest);
    expect(await reg.headManifest(`manifests/${kind}`, "v1")).toEqual({ mediaType: m.mediaType, digest: m.digest, size: m.body.byteLength });
    const byTag = await reg.getManifest(`manifests/${kind}`, "v1");
    expect(byTag).toEqual({ digest: m.digest, mediaType: m.mediaType, body: m.body });
    const byDigest = await reg.getManifest(`manifests/${kind}`, m.digest);
    expect(byDigest?.digest).toBe(m.digest);
  });

  it("falls back to GET when a HEAD answer lacks Docker-Content-Digest", async () => {
    const { m } = await pushImage("manifests/nodigest", "v1");
    await using proxy = await startProxy({ target: server.host, fault: () => "no-digest-header" });
    const reg = createRegistry({ host: proxy.host, retry: fastRetry() });
    expect(await reg.headManifest("manifests/nodigest", "v1")).toEqual({ mediaType: m.mediaType, digest: m.digest, size: m.body.byteLength });
    expect(proxy.seen.map((r) => r.method)).toEqual(["HEAD", "GET"]);
    expect((await reg.getManifest("manifests/nodigest", "v1"))?.digest).toBe(m.digest);
  });

  it("writes a tag from a manifest it already has, and finds many tags", async () => {
    const { reg, m } = await pushImage("tags/find", "stage-1");
    const got = await reg.getManifest("tags/find", "stage-1");
    await reg.tagManifest("tags/find", "final", got!);
    const found = await reg.findTags("tags/find", ["stage-1", "final", "absent-1", "absent-2"]);
    expect([...found.keys()].sort()).toEqual(["final", "stage-1"]);
    expect(found.get("final")?.digest).toBe(m.digest);
  });

  it("lists tags across pages by following the Link header", async () => {
    const { m } = await pushImage("tags/pages", "t0");
    // docker-registry 2.8 ignores n=, so a proxy paginates its answer the way the OCI spec describes.
    await using proxy = await startProxy({ target: server.host, paginateTags: true });
    const reg = createRegistry({ host: proxy.host, retry: fastRetry(), tagsPageSize: 2 });
    for (const t of ["t1", "t2", "t3", "t4"]) await reg.putManifest("tags/pages", t, m.body, m.mediaType);
    const before = reg.stats.requests;
    expect((await reg.listTags("tags/pages")).sort()).toEqual(["t0", "t1", "t2", "t3", "t4"]);
    expect(reg.stats.requests - before).toBe(3);
    expect(proxy.seen.filter((r) => r.url.includes("/tags/list")).map((r) => r.url)).toEqual([
      "/v2/tags/pages/tags/list?n=2",
      "/v2/tags/pages/tags/list?n=2&last=t1",
      "/v2/tags/pages/tags/list?n=2&last=t3",
    ]);
    expect(await reg.listTags("tags/never-pushed")).toEqual([]);
  });

  it("deletes a manifest by digest; deleting again is fine", async () => {
    const { reg, m } = await pushImage("delete/me", "gone");
    await reg.deleteManifest("delete/me", m.digest);
    expect(await reg.headManifest("delete/me", "gone")).toBeUndefined();
    expect(await reg.getManifest("delete/me", m.digest)).toBeUndefined();
    await expect(reg.deleteManifest("delete/me", m.digest)).resolves.toBeUndefined();
  });

  it("answers 404s as absent, and a missing blob as BLOB_UNKNOWN", async () => {
    const reg = client();
    expect(await reg.headManifest("nothing/here", "latest")).toBeUndefined();
    expect(await reg.getManifest("nothing/here", "latest")).toBeUndefined();
    const err = await reg.getBlob("nothing/here", randomBlob(1).digest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ status: 404, code: "BLOB_UNKNOWN" });
  });

  it("refuses bytes that do not match their digest before sending anything", async () => {
    const reg = client();
    const blob = randomBlob(10);
    const other = randomBlob(10);
    await expect(reg.pushBlob("digest/bad", other.digest, blob.data)).rejects.toMatchObject({ code: "DIGEST_INVALID" });
    const m = manifest("oci", configBlob(), []);
    await expect(reg.putManifest("digest/bad", other.digest, m.body, MEDIA_TYPES.ociManifest)).rejects.toMatchObject({ code: "DIGEST_INVALID" });
    expect(reg.stats.requests).toBe(0);
  });

  it("rejects a manifest that references missing blobs with the registry's error code", async () => {
    const reg = client();
    const m = manifest("docker", configBlob(), [randomBlob(5)]);
    await expect(reg.putManifest("digest/missing", "x", m.body, m.mediaType)).rejects.toMatchObject({ status: 400, code: "MANIFEST_BLOB_UNKNOWN" });
  });
});
