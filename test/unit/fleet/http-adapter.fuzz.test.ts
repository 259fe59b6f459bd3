/**
 * The local HTTP adapter with the real webhook and launcher behind it (GitLab and the
 * fleet as recording stand-ins), fuzzed over raw sockets and over fetch: whatever
 * arrives, the answer is never a 5xx, the server keeps answering, and nothing reaches
 * GitLab or launches a node unless the request carried the right token.
 */
import net from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import webhook from "../../../functions/gitlab-webhook/index.ts";
import launcher from "../../../functions/launcher/index.ts";
import { memoryDedupe } from "../../../functions/runtime/ports.ts";
import { serveHttp, type LocalServer } from "../../../functions/runtime/local.ts";
import { fakeGitLab, job, memoryFleet } from "../functions/support/fakes.ts";
import { fixture } from "../functions/support/harness.ts";
import { localQueueForTests } from "../functions/support/queue.ts";

const SECRET = "fuzz-secret-7f3a";
const pending = await fixture("job-pending.json");

function world() {
  const gl = fakeGitLab(Array.from({ length: 5 }, (_, i) => job({ id: i + 1, projectId: 380 })));
  const mem = memoryFleet();
  const launchEnv = { gitlab: gl.api, fleet: mem.fleet, now: () => new Date(), settings: { tags: ["slipway"], mode: "pool" as const, nodeTtlMs: 60_000 } };
  const queue = localQueueForTests((batch) => launcher.queue(batch, launchEnv));
  const env = { webhookSecret: SECRET, queue, dedupe: memoryDedupe(), maxBodyBytes: 64 * 1024 };
  return { gl, mem, queue, env };
}

interface RawAnswer {
  statusLine: string;
  status: number | undefined;
}

/**
 * Writes `bytes` and reads up to the first final (non-1xx) status line. A request that may
 * be incomplete (its framing lies) is half-closed after a short wait, which makes the
 * server see its end; a complete one is waited for (5 s at most).
 */
function rawExchange(port: number, bytes: Buffer, complete = true): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes));
    const final = () => Buffer.concat(chunks).toString("latin1").split("\r\n").find((l) => /^HTTP\/1\.[01] [02-9]\d\d /.test(l));
    const done = () => {
      clearTimeout(halfClose);
      clearTimeout(giveUp);
      const statusLine = final() ?? Buffer.concat(chunks).toString("latin1").split("\r\n")[0];
      const m = /^HTTP\/1\.[01] (\d{3}) /.exec(statusLine);
      resolve({ statusLine, status: m ? Number(m[1]) : undefined });
    };
    const halfClose = setTimeout(() => socket.end(), complete ? 5000 : 300);
    const giveUp = setTimeout(() => socket.destroy(), complete ? 6000 : 2000);
    socket.on("data", (c) => {
      chunks.push(c);
      if (final()) socket.destroy();
    });
    socket.on("error", () => undefined);
    socket.on("close", done);
  });
}

const printable = (min: number, max: number) => fc.integer({ min, max }).map((c) => String.fromCharCode(c));
const tokenChars = fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~"), minLength: 1, maxLength: 12 });
const method = fc.oneof(
  fc.constantFrom("POST", "GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "TRACK", "CONNECT", "PROPFIND", "MKCOL", "QUERY", "SEARCH", "PURGE", "LINK", "get", "post"),
  tokenChars,
);
const target = fc.oneof(
  fc.constantFrom("/webhook", "/webhook?x=1", "http://[::1/webhook", "http://[::1]/webhook", "http://127.0.0.1/webhook", "https://x/webhook", "ftp://x/webhook", "*", "//webhook", "/%zz", "/webhook#f", "webhook", "/../webhook", "/nope", "127.0.0.1:80", "http://", "/webhook%00"),
  fc.string({ unit: printable(0x21, 0x7e), minLength: 1, maxLength: 40 }),
  fc.string({ unit: printable(0x21, 0x7e), maxLength: 20 }).map((s) => `/webhook${s}`),
  fc.string({ unit: printable(0x21, 0x7e), maxLength: 20 }).map((s) => `http://[${s}/webhook`),
);
const version = fc.constantFrom("HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", "");
const token = fc.oneof(fc.constant(SECRET), fc.constant(`${SECRET} `), fc.constant(SECRET.toUpperCase()), fc.string({ maxLength: 20 }), fc.constant(undefined));
const event = fc.record({
  build_id: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer(), fc.string()),
  project_id: fc.oneof(fc.constant(380), fc.integer()),
  build_status: fc.constantFrom("pending", "pending", "running"),
}).map((r) => JSON.stringify({ ...pending, ...r }));
const body = fc.oneof(event, fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 200 }), fc.constant(""));
const headerName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("content-type", "x-gitlab-event", "expect", "upgrade", "connection", "host", "x-gitlab-token") },
  { weight: 1, arbitrary: fc.constantFrom("content-length", "transfer-encoding") },
  { weight: 4, arbitrary: tokenChars },
);
const headerValue = fc.oneof(fc.string({ unit: printable(0x20, 0x7e), maxLength: 30 }), fc.constantFrom("chunked", "100-continue", "websocket", "Upgrade", "keep-alive", "-1", "99999999999"));
/** How the body's length is framed: right, absent, or a lie. */
const framing = fc.constantFrom("length", "length", "none", "short", "long", "chunked");

interface RawCase {
  method: string;
  target: string;
  version: string;
  token: string | undefined;
  headers: Array<[string, string]>;
  body: string;
  framing: string;
}

const rawCase: fc.Arbitrary<RawCase> = fc.record({ method, target, version, token, headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }), body, framing });

function encode(c: RawCase): Buffer {
  const body = Buffer.from(c.body, "utf8");
  const lines = [`${c.method} ${c.target}${c.version ? ` ${c.version}` : ""}`, "host: 127.0.0.1"];
  if (c.token !== undefined) lines.push(`x-gitlab-token: ${c.token}`);
  for (const [k, v] of c.headers) lines.push(`${k}: ${v}`);
  const len = { length: body.length, short: Math.max(0, body.length - 3), long: body.length + 7 }[c.framing as "length"];
  if (len !== undefined) lines.push(`content-length: ${len}`);
  if (c.framing === "chunked") lines.push("transfer-encoding: chunked");
  const payload = c.framing === "chunked" ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n0\r\n\r\n")]) : body;
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), payload]);
}

/** HTTP drops the optional whitespace around a header value (RFC 9110, 5.5). */
const ows = (v: string | undefined) => v?.replace(/^[ \t]+|[ \t]+$/g, "");

/** The one way a request may carry the right token: exactly one header with exactly the secret. */
const carriesSecret = (c: { token: string | undefined; headers: Array<[string, string]> }) =>
  ows(c.token) === SECRET && !c.headers.some(([k]) => k.toLowerCase() === "x-gitlab-token");

/** Whether the request's framing is honest: then the server has all of it and must answer. */
const isComplete = (c: RawCase) => ["length", "none", "chunked"].includes(c.framing) && !c.headers.some(([k]) => ["content-length", "transfer-encoding", "expect"].includes(k.toLowerCase()));

describe("local HTTP adapter under fuzzed requests", () => {
  let server: LocalServer;
  let port: number;
  let w: ReturnType<typeof world>;

  beforeAll(async () => {
    w = world();
    server = await serveHttp({ "/webhook": (req) => webhook.fetch(req, w.env) });
    port = Number(new URL(server.url).port);
  });
  afterAll(() => server.close());

  /** Runs one request and checks the invariants against what GitLab and the fleet saw. */
  async function check(send: () => Promise<number | undefined>, authentic: boolean): Promise<void> {
    const calls = w.gl.calls.length;
    const nodes = w.mem.nodes.length;
    const status = await send();
    await w.queue.drain();
    if (status !== undefined) expect(status, "answer status").toBeLessThan(500);
    if (!authentic) {
      expect(w.gl.calls.slice(calls), "GitLab calls without the token").toEqual([]);
      expect(w.mem.nodes.length, "nodes launched without the token").toBe(nodes);
    }
  }

  it("known bad request lines get 405 and 400, before the token is looked at", async () => {
    for (const path of ["/webhook", "/nope", "/"]) {
      expect((await rawExchange(port, Buffer.from(`TRACE ${path} HTTP/1.1\r\nhost: x\r\n\r\n`))).status).toBe(405);
      expect((await rawExchange(port, Buffer.from(`PROPFIND ${path} HTTP/1.1\r\nhost: x\r\nx-gitlab-token: ${SECRET}\r\n\r\n`))).status).toBe(405);
    }
    expect((await rawExchange(port, Buffer.from("CONNECT 127.0.0.1:80 HTTP/1.1\r\nhost: x\r\n\r\n"))).status).toBe(405);
    for (const t of ["http://[::1/webhook", "http://[zz]/webhook", "webhook", "ftp://x/webhook"]) {
      const a = await rawExchange(port, Buffer.from(`POST ${t} HTTP/1.1\r\nhost: x\r\nx-gitlab-token: ${SECRET}\r\ncontent-length: 2\r\n\r\n{}`));
      expect([t, a.status]).toEqual([t, 400]);
    }
    expect(w.gl.calls).toEqual([]);
  });

  it("raw sockets: no 5xx, always an answer to a complete request, nothing done without the token", async () => {
    await fc.assert(
      fc.asyncProperty(rawCase, async (c) => {
        let answer: RawAnswer | undefined;
        await check(async () => (answer = await rawExchange(port, encode(c), isComplete(c))).status, carriesSecret(c));
        // Node's parser answers malformed requests itself (400); one whose framing lies may
        // end with the connection. A complete request always gets a (non-5xx) answer.
        expect(answer!.statusLine === "" || answer!.status !== undefined, `odd answer ${JSON.stringify(answer!.statusLine)}`).toBe(true);
        if (isComplete(c)) expect(answer!.status, `no answer to ${c.method} ${c.target}`).toBeDefined();
      }),
      { numRuns: 1200, examples: [[{ method: "TRACE", target: "/webhook", version: "HTTP/1.1", token: undefined, headers: [], body: "", framing: "none" }], [{ method: "POST", target: "http://[::1/webhook", version: "HTTP/1.1", token: SECRET, headers: [], body: "{}", framing: "length" }]] },
    );
  }, 180_000);

  const fetchMethod = fc.constantFrom("POST", "POST", "GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND", "QUERY", "M-SEARCH");
  const fetchPath = fc.oneof(fc.constantFrom("/webhook", "/webhook?a=b", "/webhook/", "/WEBHOOK", "/nope"), fc.webPath());
  const fetchHeaders = fc.array(fc.tuple(headerName.filter((h) => !["host", "content-length", "transfer-encoding", "connection", "upgrade", "expect", "x-gitlab-token"].includes(h.toLowerCase())), fc.string({ unit: printable(0x21, 0x7e), maxLength: 30 })), { maxLength: 3 });

  it("fetch: no 5xx, nothing done without the token", async () => {
    await fc.assert(
      fc.asyncProperty(fetchMethod, fetchPath, token, fetchHeaders, body, async (m, path, t, headers, b) => {
        const h = new Headers(headers);
        if (t !== undefined) h.set("x-gitlab-token", t);
        await check(async () => {
          const res = await fetch(`${server.url}${path}`, { method: m, headers: h, body: m === "GET" || m === "HEAD" ? undefined : b });
          await res.arrayBuffer();
          return res.status;
        }, ows(t) === SECRET);
      }),
      { numRuns: 1200 },
    );
  }, 180_000);

  it("still serves the right request after the fuzzing: a pending job gets one node", async () => {
    const res = await fetch(`${server.url}/webhook`, { method: "POST", headers: { "x-gitlab-token": SECRET }, body: JSON.stringify({ ...pending, build_id: 5, project_id: 380, build_status: "pending" }) });
    await w.queue.drain();
    expect([200, 202]).toContain(res.status);
    expect(w.mem.nodes.some((n) => n.jobId === 5)).toBe(true);
  });
});
