import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyImage, createRegistry } from "../../../src/registry/index.ts";
import { NETWORK_ERROR } from "../../../src/registry/retry.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { testRegistry } from "../../support/services.ts";
import { configBlob, fastRetry, manifest, randomBlob, readAll } from "../../unit/registry/fixtures.ts";
import { startProxy, type Fault } from "./proxy.ts";

let server: LocalRegistry;
beforeAll(async () => {
  server = await testRegistry();
});
afterAll(async () => {
  await server?.stop();
});

type Kind = "blob-head" | "blob-put" | "blob-get" | "manifest-put" | "manifest-get" | "manifest-head" | "other";

function kindOf(method: string, url: string): Kind {
  if (url.includes("/blobs/uploads/")) return method === "PUT" ? "blob-put" : "other";
  if (url.includes("/blobs/")) return method === "HEAD" ? "blob-head" : "blob-get";
  if (url.includes("/manifests/")) return method === "PUT" ? "manifest-put" : method === "HEAD" ? "manifest-head" : "manifest-get";
  return "other";
}

/** Faults per request kind: the i-th request of that kind gets plan[kind][i] (then everything passes). */
function plan(faults: Partial<Record<Kind, Fault[]>>): (req: { method: string; url: string }) => Fault {
  const counts = new Map<Kind, number>();
  return ({ method, url }) => {
    const kind = kindOf(method, url);
    const i = counts.get(kind) ?? 0;
    counts.set(kind, i + 1);
    return faults[kind]?.[i] ?? "pass";
  };
}

/** Every request of these kinds fails the same way, forever. */
const always = (kinds: Kind[], fault: Fault) => ({ method, url }: { method: string; url: string }): Fault => (kinds.includes(kindOf(method, url)) ? fault : "pass");

/** What a stage publisher does: blobs first, manifest last, so a failure never leaves a tag on an incomplete image. */
async function publish(reg: ReturnType<typeof createRegistry>, repo: string, tag: string) {
  const layer = randomBlob(2048);
  const config = configBlob();
  await reg.pushBlob(repo, layer.digest, layer.data);
  await reg.pushBlob(repo, config.digest, config.data);
  const m = manifest("docker", config, [layer]);
  await reg.putManifest(repo, tag, m.body, m.mediaType);
  return { m, layer };
}

describe("retries through a fault-injecting proxy", () => {
  it("survives dropped connections, 500s, 429s and a cut-off body", async () => {
    const fault = plan({
      "blob-head": ["drop", { status: 500 }],
      "blob-put": ["drop"],
      "manifest-put": [{ status: 503 }],
      "manifest-get": [{ status: 429, retryAfter: "2" }, "truncate"],
      "blob-get": ["truncate"],
    });
    await using proxy = await startProxy({ target: server.host, fault });
    const retry = fastRetry(5);
    const reg = createRegistry({ host: proxy.host, retry });
    const { m, layer } = await publish(reg, "faults/ok", "v1");
    expect((await reg.getManifest("faults/ok", "v1"))?.digest).toBe(m.digest);
    expect(Buffer.from(await reg.getBlob("faults/ok", layer.digest))).toEqual(Buffer.from(layer.data));
    // Retry-After: 2 wins over the (smaller) computed backoff.
    expect(retry.delays).toContain(2000);
    expect(proxy.seen.filter((r) => r.status === "dropped").length).toBe(2);
    // 429, cut-off body, success; cut-off body, success.
    expect(proxy.seen.filter((r) => r.method === "GET" && r.url.includes("/manifests/")).length).toBe(3);
    expect(proxy.seen.filter((r) => r.method === "GET" && r.url.includes("/blobs/")).length).toBe(2);
    expect(reg.stats.bytesPulled).toBeGreaterThanOrEqual(2048);
    // The dropped upload was retried from its HEAD, and the blob is there once.
    const direct = createRegistry({ host: server.host, retry: fastRetry() });
    expect(await direct.hasBlob("faults/ok", layer.digest)).toBe(true);
  });

  it("gives up on permanent 500s with a clean RegistryError and writes no manifest", async () => {
    await using proxy = await startProxy({ target: server.host, fault: always(["blob-put"], { status: 500 }) });
    const retry = fastRetry(3);
    const reg = createRegistry({ host: proxy.host, retry });
    await expect(publish(reg, "faults/broken", "v1")).rejects.toMatchObject({ name: "RegistryError", status: 500 });
    expect(proxy.seen.filter((r) => r.method === "PUT").length).toBe(3);
    expect(retry.delays).toHaveLength(2);
    const direct = createRegistry({ host: server.host, retry: fastRetry() });
    expect(await direct.headManifest("faults/broken", "v1")).toBeUndefined();
  });

  it("gives up on connections that always drop with NETWORK_ERROR", async () => {
    await using proxy = await startProxy({ target: server.host, fault: always(["manifest-put"], "drop") });
    const reg = createRegistry({ host: proxy.host, retry: fastRetry(3) });
    await expect(publish(reg, "faults/dropped", "v1")).rejects.toMatchObject({ name: "RegistryError", code: NETWORK_ERROR });
    const direct = createRegistry({ host: server.host, retry: fastRetry() });
    expect(await direct.headManifest("faults/dropped", "v1")).toBeUndefined();
  });

  it("does not retry other 4xx answers", async () => {
    await using proxy = await startProxy({ target: server.host, fault: always(["manifest-head"], { status: 403 }) });
    const retry = fastRetry(5);
    const reg = createRegistry({ host: proxy.host, retry });
    await expect(reg.headManifest("faults/forbidden", "v1")).rejects.toMatchObject({ status: 403 });
    expect(proxy.seen).toHaveLength(1);
    expect(retry.delays).toHaveLength(0);
  });

  it("rejects a corrupted blob body with DIGEST_INVALID", async () => {
    const reg0 = createRegistry({ host: server.host, retry: fastRetry() });
    const blob = randomBlob(100);
    await reg0.pushBlob("faults/tamper", blob.digest, blob.data);
    await using proxy = await startProxy({ target: server.host, fault: always(["blob-get"], "tamper") });
    const reg = createRegistry({ host: proxy.host, retry: fastRetry() });
    await expect(reg.getBlob("faults/tamper", blob.digest)).rejects.toMatchObject({ code: "DIGEST_INVALID" });
    const stream = await reg.getBlobStream("faults/tamper", blob.digest);
    await expect(readAll(stream)).rejects.toMatchObject({ code: "DIGEST_INVALID" });
    const chunks: Buffer[] = [];
    const readable = await reg.readBlob("faults/tamper", blob.digest);
    await expect((async () => { for await (const c of readable) chunks.push(c as Buffer); })()).rejects.toMatchObject({ code: "DIGEST_INVALID" });
  });

  it("copies an image by download and upload when the registry will not mount", async () => {
    const direct = createRegistry({ host: server.host, retry: fastRetry() });
    const { m, layer } = await publish(direct, "faults/copy-from", "v1");
    await using proxy = await startProxy({ target: server.host, fault: () => "refuse-mount" });
    const reg = createRegistry({ host: proxy.host, retry: fastRetry() });
    const got = (await reg.getManifest("faults/copy-from", "v1"))!;
    await copyImage(reg, { from: "faults/copy-from", to: "faults/copy-to", manifest: got, tags: ["v1"] });
    expect((await direct.headManifest("faults/copy-to", "v1"))?.digest).toBe(m.digest);
    expect(reg.stats.bytesPulled).toBeGreaterThan(layer.data.byteLength);
    expect(reg.stats.bytesPushed).toBe(reg.stats.bytesPulled);
  });

  it("treats a registry that never answers as a connection failure, and retries it", async () => {
    await using proxy = await startProxy({ target: server.host, fault: plan({ "manifest-head": ["hang"] }) });
    const reg = createRegistry({ host: proxy.host, retry: fastRetry(2), timeoutMs: 200 });
    expect(await reg.headManifest("faults/hang", "v1")).toBeUndefined();
    expect(proxy.seen.map((r) => r.status)).toEqual(["dropped", 404]);
    await using stuck = await startProxy({ target: server.host, fault: () => "hang" });
    const reg2 = createRegistry({ host: stuck.host, retry: fastRetry(2), timeoutMs: 100 });
    await expect(reg2.headManifest("faults/hang", "v1")).rejects.toMatchObject({ code: NETWORK_ERROR, message: expect.stringContaining("no answer within 100 ms") });
  });
});
