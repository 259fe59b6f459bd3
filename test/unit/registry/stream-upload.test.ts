import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, test } from "vitest";
import { createRegistry } from "../../../src/registry/index.ts";

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** A registry that opens uploads and then, for the PATCH, does what `patch` does. */
async function registry(patch: (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void) {
  server = createServer((req, res) => {
    if (req.method === "POST") return void res.writeHead(202, { location: "/v2/t/x/blobs/uploads/u1" }).end();
    if (req.method === "PATCH") return patch(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  return createRegistry({ host: `127.0.0.1:${port}`, timeoutMs: 400 });
}

async function* chunks(n: number) {
  for (let i = 0; i < n; i++) yield new Uint8Array(1 << 16).fill(i);
}

describe("streamed blob uploads", () => {
  test("a registry that stops reading the body fails the upload after the timeout, as one that stops answering", async () => {
    const reg = await registry((req) => {
      req.pause();
      req.socket.pause();
    });
    const started = Date.now();
    await expect(reg.pushBlobStream("t/x", chunks(400))).rejects.toMatchObject({ name: "RegistryError", code: "NETWORK_ERROR" });
    // Bounded by the timeout, not by the body: 400 ms without progress, not forever.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test("a registry that refuses the body is an error naming the upload, and no timer outlives it", async () => {
    const reg = await registry((req, res) => {
      res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "DENIED", message: "no" }] }));
      req.resume();
    });
    await expect(reg.pushBlobStream("t/x", chunks(4))).rejects.toMatchObject({ status: 403, code: "DENIED" });
  });
});
