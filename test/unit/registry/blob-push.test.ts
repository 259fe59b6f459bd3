import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, test } from "vitest";
import { createRegistry } from "../../../src/registry/index.ts";
import { sha256Digest } from "../../../src/registry/digest.ts";

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/**
 * A registry that holds the blobs in `present`, answers each request after `delayMs`, and
 * records every request with how many were in flight when it arrived.
 */
async function registry(present: Set<string>, delayMs = 30) {
  const log: { line: string; inFlight: number }[] = [];
  let inFlight = 0;
  server = createServer((req, res) => {
    inFlight++;
    log.push({ line: `${req.method} ${req.url?.replace(/\?.*/, "")}`, inFlight });
    req.resume();
    req.on("end", () => setTimeout(() => {
      inFlight--;
      const digest = /\/blobs\/(sha256:[0-9a-f]+)$/.exec(req.url ?? "")?.[1];
      if (req.method === "HEAD") return void res.writeHead(digest && present.has(digest) ? 200 : 404, { "content-length": "0" }).end();
      if (req.method === "POST") return void res.writeHead(202, { location: "/v2/t/x/blobs/uploads/u1", "content-length": "0" }).end();
      if (req.method === "PUT") return void res.writeHead(201, { "content-length": "0" }).end();
      if (req.method === "DELETE") return void res.writeHead(204).end();
      res.writeHead(404).end();
    }, delayMs));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  return { reg: createRegistry({ host: `127.0.0.1:${port}` }), log };
}

describe("pushing a blob whose bytes are in hand", () => {
  const data = new TextEncoder().encode("a config blob made here");
  const digest = sha256Digest(data);

  test("a missing blob: the HEAD and the upload's POST go out together, then one PUT", async () => {
    const { reg, log } = await registry(new Set());
    expect(await reg.pushBlob("t/x", digest, data)).toEqual({ uploaded: true });
    expect(log.slice(0, 2).map((l) => l.line).sort()).toEqual([`HEAD /v2/t/x/blobs/${digest}`, "POST /v2/t/x/blobs/uploads/"]);
    expect(log.slice(2).map((l) => l.line)).toEqual(["PUT /v2/t/x/blobs/uploads/u1"]);
    // The second of HEAD and POST arrived while the first was still unanswered.
    expect(Math.max(...log.slice(0, 2).map((l) => l.inFlight))).toBe(2);
    expect(reg.stats.bytesPushed).toBe(data.byteLength);
  });

  test.each([["missing", false], ["present", true]])("an unseen blob (a config just made), %s: no lookup, one POST and one PUT", async (_, has) => {
    const { reg, log } = await registry(new Set(has ? [digest] : []));
    expect(await reg.pushBlob("t/x", digest, data, undefined, { unseen: true })).toEqual({ uploaded: true });
    expect(log.map((l) => l.line)).toEqual(["POST /v2/t/x/blobs/uploads/", "PUT /v2/t/x/blobs/uploads/u1"]);
  });

  test("a present blob: nothing is sent and the upload opened alongside is cancelled", async () => {
    const { reg, log } = await registry(new Set([digest]));
    expect(await reg.pushBlob("t/x", digest, data)).toEqual({ uploaded: false });
    // The cancel is not waited for: it arrives soon after.
    for (let i = 0; i < 100 && log.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(log.map((l) => l.line).sort()).toEqual(["DELETE /v2/t/x/blobs/uploads/u1", `HEAD /v2/t/x/blobs/${digest}`, "POST /v2/t/x/blobs/uploads/"].sort());
    expect(reg.stats.bytesPushed).toBe(0);
  });

  test("a lazy source (another repository's blob) is still asked first, and fetched only when missing", async () => {
    const { reg, log } = await registry(new Set([digest]));
    let fetched = 0;
    expect(await reg.pushBlob("t/x", digest, async () => (fetched++, data))).toEqual({ uploaded: false });
    expect(fetched).toBe(0);
    expect(log.map((l) => l.line)).toEqual([`HEAD /v2/t/x/blobs/${digest}`]);
  });
});
