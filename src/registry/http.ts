import { RegistryError } from "../errors.ts";
import { Authenticator } from "./auth.ts";
import { registryBaseUrl } from "./ref.ts";
import { NETWORK_ERROR, withRetryAfter } from "./retry.ts";
import { send, type HttpInit, type HttpResponse } from "./transport.ts";
import type { CredentialSource, TransferStats } from "./types.ts";

export type { HttpResponse };

export interface HttpRequest {
  method: "GET" | "HEAD" | "PUT" | "POST" | "PATCH" | "DELETE";
  /** "/v2/..." or an absolute URL (upload locations). */
  url: string;
  /** Token scope(s), space separated, e.g. "repository:a/b:pull,push". */
  scope: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** A body sent as it is read (chunked); such a request is never sent twice, so a 401 is final. */
  stream?: ReadableStream<Uint8Array>;
}

export const pullScope = (repo: string) => `repository:${repo}:pull`;
export const pushScope = (repo: string) => `repository:${repo}:pull,push`;

function describe(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  const detail = cause?.code ?? cause?.message ?? (err as { code?: string }).code;
  return `${err instanceof Error ? err.message : String(err)}${detail ? ` (${detail})` : ""}`;
}

/**
 * One registry's HTTP transport: URL building (plain HTTP for loopback/insecure),
 * auth challenges (one retry after a 401), request counting, and mapping transport
 * failures to RegistryError NETWORK_ERROR. It does not retry: callers retry whole
 * operations, so a retried upload starts again from its HEAD.
 */
export class RegistryHttp {
  readonly baseUrl: string;
  private readonly auth: Authenticator;

  private readonly timeoutMs: number;

  private readonly authorization?: () => Promise<string>;

  /**
   * `authorization`, when given, supplies the Authorization header of every request (ECR's
   * token: known before the first request, renewed by its source), instead of answering
   * challenges.
   */
  constructor(host: string, opts: { insecure?: boolean; credentials?: CredentialSource; timeoutMs?: number; authorization?: () => Promise<string> }, private readonly stats: TransferStats) {
    this.baseUrl = registryBaseUrl(host, opts.insecure);
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.auth = new Authenticator(host, opts.credentials, (url, init) => this.fetch(url, init));
    this.authorization = opts.authorization;
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url, this.baseUrl).toString();
    if (this.authorization) return this.attempt(req, url, await this.authorization());
    const sent = await this.auth.header(req.scope);
    let res = await this.attempt(req, url, sent);
    if (res.status === 401 && !req.stream && (await this.auth.answer(res.headers.get("www-authenticate"), req.scope, sent))) {
      await res.body?.cancel();
      res = await this.attempt(req, url, await this.auth.header(req.scope));
    }
    return res;
  }

  private attempt(req: HttpRequest, url: string, authorization: string | undefined): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...req.headers };
    if (authorization) headers.authorization = authorization;
    return this.fetch(url, { method: req.method, headers, body: req.stream ?? req.body });
  }

  /**
   * Every request, including token requests, goes through here and is counted.
   * A registry that sends no answer within timeoutMs counts as a connection failure;
   * the limit is on the answer's headers only, so big bodies may take their time (a
   * streamed body's clock starts when its last chunk is sent).
   */
  async fetch(url: string, init: HttpInit): Promise<HttpResponse> {
    this.stats.requests++;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const startClock = (why: string) => {
      clearTimeout(timer);
      if (!settled) timer = setTimeout(() => abort.abort(new RegistryError(`${why} within ${this.timeoutMs} ms`, undefined, NETWORK_ERROR)), this.timeoutMs);
    };
    let body = init.body;
    if (body instanceof ReadableStream) {
      // A streamed body: the clock restarts with every chunk the transport takes, so a
      // registry that stops reading fails the request as one that stops answering does.
      startClock("no progress sending the body");
      body = body.pipeThrough(new TransformStream({
        transform(chunk, controller) {
          startClock("no progress sending the body");
          controller.enqueue(chunk);
        },
        flush: () => startClock("no answer"),
      }));
    } else startClock("no answer");
    try {
      return await send(url, { ...init, body, signal: abort.signal });
    } catch (err) {
      const why = abort.signal.aborted ? String((abort.signal.reason as Error).message) : describe(err);
      throw new RegistryError(`${init.method ?? "GET"} ${url}: ${why}`, undefined, NETWORK_ERROR, { cause: err });
    } finally {
      settled = true;
      clearTimeout(timer);
    }
  }
}

/** Reads a body fully; a connection dropped mid-body becomes a retryable NETWORK_ERROR. */
export async function readBody(res: HttpResponse, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new RegistryError(`${what}: reading body: ${describe(err)}`, undefined, NETWORK_ERROR, { cause: err });
  }
}

/** A RegistryError from an error response, with the OCI error code from `{errors:[{code,message}]}`. */
export async function errorFrom(res: HttpResponse, what: string): Promise<RegistryError> {
  const text = await res.text().catch(() => "");
  let code: string | undefined;
  let message = text.trim().slice(0, 300);
  try {
    const first = (JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> }).errors?.[0];
    if (first?.code) code = first.code;
    if (first?.message) message = first.message;
  } catch {
    // not JSON: keep the raw text
  }
  // A HEAD has no body: the status is all there is (403 is the spec's DENIED).
  code ??= res.status === 401 ? "UNAUTHORIZED" : res.status === 403 ? "DENIED" : res.status === 404 ? "NOT_FOUND" : undefined;
  const err = new RegistryError(`${what}: ${res.status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`, res.status, code);
  return withRetryAfter(err, res.headers.get("retry-after"));
}
