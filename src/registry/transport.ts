/**
 * HTTP for the registry client on node:http and node:https, shaped like the subset of
 * fetch's Response the client reads.
 *
 * Why not fetch: Node 20's fetch is undici, loaded and compiled (its HTTP parser is
 * WebAssembly) on the first request of every process, and slower per request after
 * that. Measured on a build node, 12 registry requests cost 0.25 s of process time
 * through fetch and 0.09 s through node:http; a job that finds every stage in the
 * registry makes about that many.
 *
 * What fetch did and this keeps: keep-alive connections (idle ones never hold the
 * process open), redirects followed for requests whose body can be sent again (ECR
 * answers blob GETs with a redirect to S3), with the Authorization header dropped when
 * the redirect leaves the origin, as the fetch standard requires; a 303 (and a 301/302
 * of a POST) becomes a GET without body; an AbortSignal. What it adds: a connection
 * that goes quiet for `idleMs` (connecting, sending or receiving) fails.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type ClientRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";

export interface HttpHeaders {
  get(name: string): string | null;
}

export interface HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly url: string;
  readonly headers: HttpHeaders;
  /** The body as a web stream; null for HEAD and bodiless statuses. */
  readonly body: ReadableStream<Uint8Array> | null;
  /**
   * The body as a Node stream, read instead of `body` (never both): a big blob read this
   * way costs a third of what it costs through a web stream. Null as `body` is.
   */
  nodeBody(): Readable | null;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface HttpInit {
  method?: string;
  headers?: Record<string, string>;
  /** Bytes, or a stream sent as it is read (chunked; such a request is never redirected). */
  body?: Uint8Array | ReadableStream<Uint8Array> | null;
  signal?: AbortSignal;
  /** A connection quiet for this long fails (default 5 minutes, undici's body timeout). */
  idleMs?: number;
}

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;

/** Bodies up to this size, and every error's body, are read before the response is handed out. */
const BUFFERED = 1 << 20;

class Response implements HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: HttpHeaders;
  #message: IncomingMessage;
  #bytes: Buffer | undefined;
  #body: ReadableStream<Uint8Array> | null | undefined;
  readonly #empty: boolean;

  constructor(readonly url: string, message: IncomingMessage, method: string, bytes?: Buffer) {
    this.#message = message;
    this.#bytes = bytes;
    this.status = message.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    const raw = message.headers;
    this.headers = {
      get: (name) => {
        const value = raw[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    };
    this.#empty = method === "HEAD" || this.status === 204 || this.status === 304;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#body !== undefined) return this.#body;
    const bytes = this.#bytes;
    if (this.#empty) this.#body = null;
    else if (bytes) this.#body = new ReadableStream<Uint8Array>({ start: (c) => (bytes.length > 0 && c.enqueue(new Uint8Array(bytes)), c.close()) });
    else this.#body = Readable.toWeb(this.#message) as unknown as ReadableStream<Uint8Array>;
    return this.#body;
  }

  nodeBody(): Readable | null {
    if (this.#empty) return null;
    if (this.#body !== undefined) throw new Error("the body is read as a web stream already");
    this.#body = null;
    return this.#bytes ? Readable.from([this.#bytes]) : this.#message;
  }

  async #all(): Promise<Buffer> {
    if (this.#empty) return Buffer.alloc(0);
    if (this.#bytes && this.#body === undefined) return this.#bytes;
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.body as unknown as NodeWebStream<Uint8Array>) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.#all();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return (await this.#all()).toString("utf8");
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

/**
 * Small bodies, error bodies and the answers to anything but a GET are read at once: a
 * caller that only looks at the status (a 404, a 201) would otherwise leave the
 * connection busy, and the process waiting for it, until the idle limit. A GET's large
 * or unsized successful body (a blob) streams to its reader.
 */
async function answer(url: string, message: IncomingMessage, method: string): Promise<Response> {
  const status = message.statusCode ?? 0;
  const length = Number(message.headers["content-length"] ?? Number.NaN);
  if (method === "HEAD" || status === 204 || status === 304) {
    message.resume();
    return new Response(url, message, method, Buffer.alloc(0));
  }
  // Only a GET's large (or unsized) successful body streams: what a PUT, POST, PATCH or DELETE answers is small.
  if (method === "GET" && status >= 200 && status < 300 && !(length <= BUFFERED)) return new Response(url, message, method);
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  return new Response(url, message, method, Buffer.concat(chunks));
}

function withoutHeader(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== name));
}

function once(url: URL, method: string, headers: Record<string, string>, init: HttpInit): Promise<IncomingMessage> {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const body = init.body ?? undefined;
    const outgoing = { ...headers };
    if (body instanceof Uint8Array && !Object.keys(outgoing).some((k) => k.toLowerCase() === "content-length")) outgoing["content-length"] = String(body.byteLength);
    const options = { method, headers: outgoing, signal: init.signal, timeout: init.idleMs ?? 300_000 };
    let req: ClientRequest;
    const answered = (message: IncomingMessage) => resolve(message);
    if (url.protocol === "https:") req = httpsRequest(url, { ...options, agent: agents.https }, answered);
    else if (url.protocol === "http:") req = httpRequest(url, { ...options, agent: agents.http }, answered);
    else return reject(new TypeError(`unsupported protocol ${url.protocol}`));
    req.on("error", reject);
    req.on("timeout", () => req.destroy(Object.assign(new Error(`no data for ${options.timeout} ms`), { code: "ETIMEDOUT" })));
    if (body === undefined) return void req.end();
    if (body instanceof Uint8Array) return void req.end(body);
    const source = Readable.fromWeb(body as unknown as NodeWebStream<Uint8Array>);
    source.on("error", (err) => req.destroy(err));
    source.pipe(req);
  });
}

/** One request, redirects followed (see above); rejects on a transport failure, never for a status. */
export async function send(url: string, init: HttpInit = {}): Promise<HttpResponse> {
  let method = (init.method ?? "GET").toUpperCase();
  let at = new URL(url);
  let headers = init.headers ?? {};
  let body = init.body ?? undefined;
  for (let hops = 0; ; hops++) {
    const message = await once(at, method, headers, { ...init, body });
    const location = message.headers.location;
    const status = message.statusCode ?? 0;
    const resendable = body === undefined || body instanceof Uint8Array;
    if (!REDIRECTS.has(status) || !location || !resendable || hops >= MAX_REDIRECTS) return answer(at.toString(), message, method);
    message.resume();
    const next = new URL(location, at);
    if (next.origin !== at.origin) headers = withoutHeader(headers, "authorization");
    if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
      if (method !== "HEAD") method = "GET";
      body = undefined;
      headers = withoutHeader(withoutHeader(headers, "content-length"), "content-type");
    }
    at = next;
  }
}
