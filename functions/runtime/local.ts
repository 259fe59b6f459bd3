import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { LaunchQueue } from "./ports.ts";
import type { QueueMessage, QueueResult } from "./types.ts";

/**
 * The local adapter: a node:http server in front of Web-standard fetch handlers, an
 * in-process queue in front of a queue consumer, and timers in front of schedules.
 */

export type Route = (req: Request) => Promise<Response>;

/** The handler enforces its own (smaller) limit; this one only keeps the server's memory bounded. */
const MAX_BUFFERED = 8 << 20;

async function toRequest(req: IncomingMessage, base: string): Promise<Request | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BUFFERED) return undefined;
    chunks.push(c as Buffer);
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", base), { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined });
}

async function reply(res: ServerResponse, r: Response): Promise<void> {
  res.writeHead(r.status, Object.fromEntries(r.headers));
  res.end(Buffer.from(await r.arrayBuffer()));
}

export interface LocalServer extends AsyncDisposable {
  url: string;
  close(): Promise<void>;
}

export async function serveHttp(routes: Record<string, Route>, opts: { port?: number; host?: string } = {}): Promise<LocalServer> {
  const host = opts.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    void (async () => {
      const request = await toRequest(req, `http://${host}`);
      if (!request) return reply(res, new Response("body too large\n", { status: 413, headers: { connection: "close" } }));
      const route = routes[new URL(request.url).pathname];
      await reply(res, route ? await route(request) : new Response("not found\n", { status: 404 }));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
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
