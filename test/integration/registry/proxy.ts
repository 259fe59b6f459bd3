import { request, createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * What the proxy does to one request: pass it on, drop the connection before answering,
 * answer a status, corrupt the answer's first byte, cut the answer off halfway, or
 * hide Docker-Content-Digest (as some registries do on HEAD), or turn a mount request
 * into a plain upload request (as registries that cannot mount do), or never answer.
 */
export type Fault = "pass" | "drop" | "tamper" | "truncate" | "no-digest-header" | "refuse-mount" | "hang" | { status: number; retryAfter?: string };

export interface SeenRequest {
  method: string;
  url: string;
  status: number | "dropped";
}

export interface ProxyOptions {
  /** host:port of the real registry. */
  target: string;
  /** Decides per request (n counts from 1 over all requests, token requests excluded). */
  fault?: (req: { method: string; url: string; n: number }) => Fault;
  /** Require a bearer token from our own /token endpoint, issued for these basic credentials. */
  bearer?: { username: string; password: string; expiresIn?: number; refreshToken?: string };
  /**
   * Paginate tag lists as the OCI spec describes (n, last, Link: <...>; rel="next").
   * docker-registry 2.8 ignores `n` and always answers every tag in one page.
   */
  paginateTags?: boolean;
  /** Milliseconds every request waits before it is handled: a slow (remote) registry. */
  latencyMs?: number;
}

export interface FaultProxy extends AsyncDisposable {
  host: string;
  seen: SeenRequest[];
  tokenRequests: URL[];
}

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/**
 * A node:http proxy in front of a real registry, for the fault and bearer-token
 * tests: it forwards requests unchanged (Host included, so upload Locations point
 * back at the proxy) unless `fault` says otherwise.
 */
export async function startProxy(opts: ProxyOptions): Promise<FaultProxy> {
  const seen: SeenRequest[] = [];
  const tokenRequests: URL[] = [];
  const issued = new Set<string>();
  let n = 0;
  let host = "";
  const server = createServer((req, res) => {
    if (opts.latencyMs) setTimeout(() => handle(req, res), opts.latencyMs);
    else handle(req, res);
  });

  function handle(req: IncomingMessage, res: ServerResponse) {
    const url = req.url ?? "/";
    if (opts.bearer && url.startsWith("/token")) return token(req, res);
    if (opts.bearer && !issued.has((req.headers.authorization ?? "").replace(/^Bearer /, ""))) {
      const repo = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(url)?.[1];
      const scope = repo ? `,scope="repository:${repo}:pull,push"` : "";
      req.resume();
      return answer(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "token required" }] }, {
        "www-authenticate": `Bearer realm="http://${host}/token",service="fake-registry"${scope}`,
      });
    }
    const fault = opts.fault?.({ method: req.method ?? "GET", url, n: ++n }) ?? "pass";
    if (fault === "hang") {
      seen.push({ method: req.method ?? "", url, status: "dropped" });
      req.resume();
      return;
    }
    if (fault === "drop") {
      seen.push({ method: req.method ?? "", url, status: "dropped" });
      req.socket.destroy();
      return;
    }
    if (typeof fault === "object") {
      seen.push({ method: req.method ?? "", url, status: fault.status });
      req.resume();
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { "retry-after": fault.retryAfter } : {};
      return answer(res, fault.status, { errors: [{ code: fault.status === 429 ? "TOOMANYREQUESTS" : "UNKNOWN", message: "injected" }] }, headers);
    }
    const tags = opts.paginateTags && req.method === "GET" ? /^\/v2\/(.+)\/tags\/list(?:\?(.*))?$/.exec(url) : null;
    if (tags) return forward(req, res, (body) => paginate(tags[1], new URLSearchParams(tags[2] ?? ""), body, res));
    if (fault === "truncate") return forward(req, res, undefined, true);
    if (fault === "no-digest-header") return forward(req, res, undefined, false, true);
    if (fault === "refuse-mount" && req.method === "POST") req.url = url.replace(/\?mount=.*$/, "");
    forward(req, res, fault === "tamper" ? tamper : undefined);
  }

  function tamper(body: Buffer): Buffer {
    if (body.length) body[0] ^= 0xff;
    return body;
  }

  function paginate(repo: string, query: URLSearchParams, body: Buffer, res: ServerResponse): Buffer {
    const all = ((JSON.parse(body.toString()) as { tags?: string[] }).tags ?? []).sort();
    const n = Number(query.get("n") ?? all.length);
    const last = query.get("last");
    const rest = last ? all.filter((t) => t > last) : all;
    const page = rest.slice(0, n);
    if (rest.length > n) res.setHeader("link", `</v2/${repo}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1])}>; rel="next"`);
    res.removeHeader("content-length");
    return Buffer.from(JSON.stringify({ name: repo, tags: page }));
  }

  /** GET with basic auth, or an OAuth2 refresh_token POST (Docker's identitytoken). */
  function token(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", `http://${host}`);
    tokenRequests.push(url);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const b = opts.bearer!;
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      const ok = req.method === "POST"
        ? form.get("grant_type") === "refresh_token" && b.refreshToken !== undefined && form.get("refresh_token") === b.refreshToken
        : req.headers.authorization === `Basic ${Buffer.from(`${b.username}:${b.password}`).toString("base64")}`;
      if (!ok) return answer(res, 401, { details: "bad credentials" });
      const t = `tok-${tokenRequests.length}`;
      issued.add(t);
      answer(res, 200, req.method === "POST" ? { access_token: t, expires_in: b.expiresIn ?? 300 } : { token: t, expires_in: b.expiresIn ?? 300 });
    });
  }

  /** Forwards to the registry; `rewrite` (when given) sees the whole body and returns the one to send. */
  function forward(req: IncomingMessage, res: ServerResponse, rewrite?: (body: Buffer) => Buffer, truncate = false, hideDigest = false) {
    const [hostname, port] = opts.target.split(":");
    const headers = { ...req.headers };
    if (opts.bearer) delete headers.authorization;
    const up = request({ hostname, port: Number(port), method: req.method, path: req.url, headers }, (upRes) => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", status: upRes.statusCode ?? 0 });
      if (hideDigest) delete upRes.headers["docker-content-digest"];
      if (truncate) {
        const chunks: Buffer[] = [];
        upRes.on("data", (c: Buffer) => chunks.push(c));
        upRes.on("end", () => {
          const body = Buffer.concat(chunks);
          res.writeHead(upRes.statusCode ?? 502, { ...upRes.headers, "content-length": String(body.length) });
          res.write(body.subarray(0, body.length >> 1));
          setTimeout(() => res.socket?.destroy(), 10);
        });
        return;
      }
      if (!rewrite || upRes.statusCode !== 200) {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      upRes.on("data", (c: Buffer) => chunks.push(c));
      upRes.on("end", () => {
        for (const [k, v] of Object.entries(upRes.headers)) if (v !== undefined && k !== "content-length") res.setHeader(k, v);
        const body = rewrite(Buffer.concat(chunks));
        res.writeHead(200, { "content-length": String(body.length) });
        res.end(body);
      });
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return { host, seen, tokenRequests, [Symbol.asyncDispose]: close };
}
