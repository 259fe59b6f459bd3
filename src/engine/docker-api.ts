/**
 * The few Docker Engine API calls slipway makes, over the engine's unix socket with
 * node:http. dockerode (with the gRPC, SSH and protobuf stacks it loads) costs a job
 * 0.1-0.15 s of start-up before its first request, more than the requests themselves
 * on a job that only asks whether an image exists; it is loaded now only to attach to
 * a container dockerd starts (./docker.ts).
 *
 * Requests go to the unversioned paths, as dockerode sends them (the engine's own API
 * version); an answer of 400 or more becomes a DockerApiError with the status and the
 * engine's message, read whole first, so no response is left open.
 */
import { request, type IncomingMessage } from "node:http";
import type { Readable } from "node:stream";

/** The engine's answer to a failed request: its HTTP status and message. */
export class DockerApiError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = "DockerApiError";
  }
}

export const DEFAULT_SOCKET = "/var/run/docker.sock";

export interface ApiRequest {
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON document, bytes, or a stream (sent chunked: a load's archive as it is written; any pipeable, as tar-stream's). */
  body?: unknown;
  headers?: Record<string, string>;
}

/** X-Registry-Auth as the engine decodes it: JSON in base64 with the URL alphabet, padded (Go's base64.URLEncoding). */
export function registryAuthHeader(auth: Record<string, string>): string {
  return Buffer.from(JSON.stringify(auth)).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

/** A body to stream: a node Readable, or a streamx one (tar-stream's pack). */
interface Pipeable {
  pipe(to: NodeJS.WritableStream): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
}

function isPipeable(body: unknown): body is Pipeable {
  return typeof (body as Pipeable | undefined)?.pipe === "function" && typeof (body as Pipeable).on === "function";
}

async function readAll(res: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function errorOf(status: number, body: Buffer): DockerApiError {
  const text = body.toString("utf8").trim();
  let message = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // Not JSON: the text is the message.
  }
  return new DockerApiError(`(HTTP code ${status}) ${message || "no message"}`, status);
}

export class DockerApi {
  constructor(readonly socketPath: string = DEFAULT_SOCKET) {}

  /** The response of a successful request, its body unread (the caller reads or destroys it). */
  async stream(method: string, path: string, req: ApiRequest = {}): Promise<IncomingMessage> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query.set(k, String(v));
    const qs = query.size > 0 ? `?${query}` : "";
    const headers: Record<string, string> = { ...req.headers };
    let body: Buffer | Pipeable | undefined;
    if (isPipeable(req.body)) body = req.body;
    else if (req.body instanceof Uint8Array) body = Buffer.from(req.body);
    else if (req.body !== undefined) {
      body = Buffer.from(JSON.stringify(req.body));
      headers["content-type"] ??= "application/json";
    }
    if (Buffer.isBuffer(body)) headers["content-length"] = String(body.length);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const r = request({ socketPath: this.socketPath, method, path: `${path}${qs}`, headers }, resolve);
      r.on("error", reject);
      if (isPipeable(body)) {
        body.on("error", (err: Error) => r.destroy(err));
        body.pipe(r);
      } else r.end(body);
    });
    const status = res.statusCode ?? 0;
    if (status >= 400) throw errorOf(status, await readAll(res));
    return res;
  }

  /** The answer's JSON document (undefined for an empty body). */
  async json<T>(method: string, path: string, req: ApiRequest = {}): Promise<T> {
    const body = await readAll(await this.stream(method, path, req));
    return (body.length === 0 ? undefined : JSON.parse(body.toString("utf8"))) as T;
  }

  /** A request whose answer carries nothing slipway reads. */
  async call(method: string, path: string, req: ApiRequest = {}): Promise<void> {
    (await this.stream(method, path, req)).resume();
  }
}
