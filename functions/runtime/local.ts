import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { checkRequestLine, rawMethodNotAllowed } from "./http-guard.ts";
import type { LaunchQueue } from "./ports.ts";
import type { QueueMessage, QueueResult } from "./types.ts";

/**
 * The local adapter: a node:http server in front of Web-standard fetch handlers, an
 * in-process queue in front of a queue consumer, and timers in front of schedules.
 */

export type Route = (req: Request) => Promise<Response>;

/** The handler enforces its own (smaller) limit; this one only keeps the server's memory bounded. */
const MAX_BUFFERED = 8 << 20;

/** Thrown when the client's request cannot be read or represented: a 400, not a server fault. */
class BadRequest extends Error {}

async function toRequest(req: IncomingMessage, url: URL): Promise<Request | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BUFFERED) return undefined;
      chunks.push(c as Buffer);
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    return new Request(url, { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined });
  } catch (err) {
    // An aborted upload, or a header the Fetch API refuses.
    throw new BadRequest("unreadable request", { cause: err });
  }
}

async function reply(res: ServerResponse, r: Response): Promise<void> {
  res.writeHead(r.status, Object.fromEntries(r.headers));
  res.end(Buffer.from(await r.arrayBuffer()));
}

const text = (status: number, body: string, headers: Record<string, string> = {}) => new Response(body, { status, headers });

/** Request line first (405/400 before anything is read), then the route, then the body. */
async function answer(req: IncomingMessage, base: string, routes: Record<string, Route>): Promise<Response> {
  const line = checkRequestLine(req.method ?? "", req.url ?? "", base);
  if (!line.ok) return line.response;
  const route = routes[line.url.pathname];
  if (!route) return text(404, "not found\n", { connection: "close" });
  let request: Request | undefined;
  try {
    request = await toRequest(req, line.url);
  } catch (err) {
    if (err instanceof BadRequest) return text(400, "bad request\n", { connection: "close" });
    throw err;
  }
  if (!request) return text(413, "body too large\n", { connection: "close" });
  return route(request);
}

export interface LocalServer extends AsyncDisposable {
  url: string;
  close(): Promise<void>;
}

export async function serveHttp(routes: Record<string, Route>, opts: { port?: number; host?: string } = {}): Promise<LocalServer> {
  const host = opts.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    answer(req, `http://${host}`, routes).then((r) => reply(res, r)).catch(() => {
      // Only a handler or adapter fault gets here: the request itself was checked above.
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // node:http hands CONNECT over as a raw socket (and drops it when nobody listens).
  server.on("connect", (_req, socket: Duplex) => socket.end(rawMethodNotAllowed()));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { url: `http://${host}:${port}`, close, [Symbol.asyncDispose]: close };
}

export interface LocalQueueOptions {
  /** Delay before a message the consumer asked to retry comes back. */
  retryDelayMs?: number;
  /** Deliveries before a message is given up (SQS's maxReceiveCount + dead-letter queue). */
  maxAttempts?: number;
  onDrop?: (msg: QueueMessage) => void;
}

/**
 * An in-process queue: messages go to `consume` one batch at a time, and those it asks to
 * retry come back after `retryDelayMs` (the local stand-in for SQS's visibility timeout).
 */
export function localQueue(consume: (batch: { messages: QueueMessage[] }) => Promise<QueueResult>, o: LocalQueueOptions = {}): LaunchQueue & { drain(): Promise<void>; stop(): void } {
  const pending: QueueMessage[] = [];
  const attempts = new Map<string, number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let seq = 0;
  let busy: Promise<void> = Promise.resolve();
  let stopped = false;
  const again = (m: QueueMessage) => {
    const n = (attempts.get(m.id) ?? 0) + 1;
    if (n >= (o.maxAttempts ?? 20)) return (attempts.delete(m.id), o.onDrop?.(m));
    attempts.set(m.id, n);
    const t = setTimeout(() => (timers.delete(t), pending.push(m), pump()), o.retryDelayMs ?? 5_000);
    timers.add(t);
  };
  const pump = () => {
    busy = busy.then(async () => {
      const messages = pending.splice(0);
      if (!messages.length || stopped) return;
      const { retry } = await consume({ messages }).catch(() => ({ retry: messages.map((m) => m.id) }));
      for (const m of messages) if (retry.includes(m.id)) again(m);
      else attempts.delete(m.id);
    });
  };
  return {
    async send(req) {
      pending.push({ id: `m${++seq}`, body: JSON.stringify(req) });
      pump();
    },
    drain: () => busy,
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
    },
  };
}

/** Runs `tick` every `everyMs`, never two at once; errors go to `onError`. */
export function every(everyMs: number, tick: () => Promise<unknown>, onError: (err: unknown) => void): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    tick().catch(onError).finally(() => (running = false));
  }, everyMs);
  return () => clearInterval(timer);
}
