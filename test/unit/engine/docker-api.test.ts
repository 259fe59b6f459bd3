import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { DockerApi, DockerApiError, registryAuthHeader } from "../../../src/engine/docker-api.ts";

let server: Server | undefined;
let dir: string | undefined;

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
  server = dir = undefined;
});

/** An engine stand-in on a unix socket that records each request. */
async function engine(answer: (method: string, url: string, body: Buffer, headers: Record<string, unknown>) => { status: number; body?: string }) {
  dir = await mkdtemp(join(tmpdir(), "slipway-api-"));
  const socketPath = join(dir, "docker.sock");
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const { status, body } = answer(req.method ?? "", req.url ?? "", Buffer.concat(chunks), req.headers);
    res.writeHead(status, { "content-type": "application/json" }).end(body ?? "");
  });
  await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
  return new DockerApi(socketPath);
}

describe("DockerApi", () => {
  it("sends JSON bodies and query strings, and reads the JSON answer", async () => {
    const seen: string[] = [];
    const api = await engine((method, url, body, headers) => {
      seen.push(`${method} ${url} ${headers["content-type"]} ${body}`);
      return { status: 201, body: '{"Id":"abc"}' };
    });
    await expect(api.json("POST", "/containers/create", { body: { Image: "x" }, query: { name: "a b", skip: undefined } })).resolves.toEqual({ Id: "abc" });
    expect(seen).toEqual(['POST /containers/create?name=a+b application/json {"Image":"x"}']);
  });

  it("streams a body that is a stream, chunk by chunk", async () => {
    let got = "";
    const api = await engine((_m, _u, body, headers) => ((got = `${headers["transfer-encoding"]}:${body}`), { status: 200 }));
    await api.call("POST", "/images/load", { body: Readable.from([Buffer.from("tar-"), Buffer.from("bytes")]) });
    await expect.poll(() => got).toBe("chunked:tar-bytes");
  });

  it("turns an answer of 400 or more into an error with the status and the engine's message", async () => {
    const api = await engine((_m, url) => (url.includes("json") ? { status: 404, body: '{"message":"No such image: nope:1"}' } : { status: 500, body: "plain failure" }));
    const missing = await api.json("GET", "/images/nope:1/json").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DockerApiError);
    expect(missing).toMatchObject({ statusCode: 404, message: "(HTTP code 404) No such image: nope:1" });
    await expect(api.call("DELETE", "/x")).rejects.toMatchObject({ statusCode: 500, message: "(HTTP code 500) plain failure" });
  });

  it("encodes registry credentials as the engine decodes them: base64 with the URL alphabet, padded", () => {
    // Bytes that give + and / in the standard alphabet.
    const auth = { username: "u", password: "\u00fb\u00ff?>" };
    const header = registryAuthHeader(auth);
    expect(header).not.toMatch(/[+/]/);
    expect(header.length % 4).toBe(0);
    expect(JSON.parse(Buffer.from(header, "base64url").toString("utf8"))).toEqual(auth);
  });
});
