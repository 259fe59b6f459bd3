import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { send } from "../../../src/registry/transport.ts";
import { run } from "../../../src/util/process.ts";

interface Seen { method: string; url: string; authorization?: string; body: string }

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
});

/** A server answering with `answer`, recording each request it got. */
async function serve(answer: (req: IncomingMessage, seen: Seen) => { status: number; headers?: Record<string, string>; body?: string } | "silent"): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const entry = { method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization, body: Buffer.concat(chunks).toString() };
    seen.push(entry);
    const a = answer(req, entry);
    if (a === "silent") return;
    res.writeHead(a.status, a.headers);
    res.end(a.body);
  });
  // As docker-registry (Go's server): an idle connection is never closed by the server.
  server.keepAliveTimeout = 0;
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe("registry transport (node:http, as fetch behaves)", () => {
  it("reads status, headers and bodies; HEAD has no body", async () => {
    const { base } = await serve(() => ({ status: 200, headers: { "docker-content-digest": "sha256:x", "content-type": "application/json" }, body: '{"a":1}' }));
    const got = await send(`${base}/v2/`, { headers: { accept: "x" } });
    expect([got.status, got.ok, got.headers.get("Docker-Content-Digest"), got.headers.get("nope")]).toEqual([200, true, "sha256:x", null]);
    expect(await got.json()).toEqual({ a: 1 });
    const head = await send(`${base}/v2/`, { method: "HEAD" });
    expect(head.body).toBeNull();
    const streamed = await send(`${base}/v2/`);
    const chunks: Uint8Array[] = [];
    for await (const c of streamed.body as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe('{"a":1}');
  });

  it("follows a redirect to another origin without the Authorization header, and keeps it within the origin", async () => {
    const s3 = await serve(() => ({ status: 200, body: "layer bytes" }));
    const registry = await serve((req) => (req.url === "/v2/r/blobs/sha256:a" ? { status: 307, headers: { location: `${s3.base}/bucket/a?X-Amz-Signature=s` } } : req.url === "/old" ? { status: 308, headers: { location: "/v2/r/blobs/sha256:a" } } : { status: 404 }));
    const res = await send(`${registry.base}/old`, { headers: { authorization: "Bearer secret" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("layer bytes");
    expect(res.url).toBe(`${s3.base}/bucket/a?X-Amz-Signature=s`);
    expect(registry.seen.map((s) => [s.url, s.authorization])).toEqual([["/old", "Bearer secret"], ["/v2/r/blobs/sha256:a", "Bearer secret"]]);
    expect(s3.seen.map((s) => [s.url, s.authorization])).toEqual([["/bucket/a?X-Amz-Signature=s", undefined]]);
  });

  it("a 303 turns into a GET without the body; a streamed body is never sent twice (its redirect is the answer)", async () => {
    const target = await serve(() => ({ status: 201 }));
    const first = await serve(() => ({ status: 303, headers: { location: `${target.base}/done` } }));
    const res = await send(`${first.base}/upload`, { method: "POST", body: Buffer.from("payload") });
    expect(res.status).toBe(201);
    expect(first.seen[0]).toMatchObject({ method: "POST", body: "payload" });
    expect(target.seen[0]).toMatchObject({ method: "GET", body: "" });
    const redirecting = await serve(() => ({ status: 307, headers: { location: `${target.base}/again` } }));
    const stream = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(new TextEncoder().encode("chunk")), c.close()) });
    const patched = await send(`${redirecting.base}/patch`, { method: "PATCH", body: stream });
    expect(patched.status).toBe(307);
    expect(redirecting.seen[0]).toMatchObject({ method: "PATCH", body: "chunk" });
    expect(target.seen).toHaveLength(1);
  });

  it("a response whose body nobody reads (a 404, a 201) does not keep the process running", async () => {
    const { base } = await serve((req) => (req.url === "/missing" ? { status: 404, body: '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}' } : { status: 201, body: "created" }));
    const script = `import { send } from ${JSON.stringify(new URL("../../../src/registry/transport.ts", import.meta.url).pathname)};
      const a = await send(${JSON.stringify(base)} + "/missing"); const b = await send(${JSON.stringify(base)} + "/made", { method: "PUT", body: Buffer.from("x") });
      console.log(a.status, b.status);`;
    const started = Date.now();
    // Asynchronously: the servers answer from this process.
    const child = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]);
    expect(child.stdout.trim()).toBe("404 201");
    expect(child.code).toBe(0);
    // The idle limit is 300 s: a process held by a busy connection outlives the test's 30 s.
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it("a connection that goes quiet fails, and so does an aborted request", async () => {
    const { base } = await serve(() => "silent");
    await expect(send(`${base}/slow`, { idleMs: 200 })).rejects.toMatchObject({ code: "ETIMEDOUT" });
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error("stop")), 50);
    await expect(send(`${base}/slow`, { signal: abort.signal })).rejects.toThrow();
    await expect(send("http://127.0.0.1:1/")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
