import { isEc2InstanceEvent, toNodeEvent } from "./aws-ec2-events.ts";
import { checkRequestLine } from "./http-guard.ts";
import type { HttpFunction, NodeEventFunction, QueueFunction, ScheduledFunction } from "./types.ts";
import { UsageError } from "../../src/errors.ts";

export { isEc2InstanceEvent, toNodeEvent, type Ec2InstanceEvent } from "./aws-ec2-events.ts";

/**
 * AWS Lambda adapter: one translator per event shape, chosen by the type guards below.
 * No AWS SDK and no Node API here: Lambda hands us plain JSON and wants plain JSON back.
 */

/** Function URL and API Gateway HTTP API (payload format 2.0) share this shape. */
export interface HttpEventV2 {
  version: "2.0";
  rawPath: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { domainName?: string; http: { method: string } };
}

/** EventBridge scheduled rule or EventBridge Scheduler target. */
export interface ScheduledEventBridge {
  "detail-type": "Scheduled Event";
  source: string;
  time: string;
  resources?: string[];
}

export interface SqsEvent {
  Records: Array<{ messageId: string; body: string; eventSource: "aws:sqs" }>;
}

export interface HttpResultV2 {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

// "2.0" plus requestContext.http is what tells a v2 HTTP event from a REST (v1) one.
export const isHttpEvent = (e: unknown): e is HttpEventV2 =>
  typeof e === "object" && e !== null && (e as HttpEventV2).version === "2.0" && typeof (e as HttpEventV2).requestContext?.http?.method === "string";

// EventBridge always sets detail-type; schedules use exactly "Scheduled Event".
export const isScheduledEvent = (e: unknown): e is ScheduledEventBridge =>
  typeof e === "object" && e !== null && (e as ScheduledEventBridge)["detail-type"] === "Scheduled Event";

// An SQS batch is the only event whose records come from "aws:sqs".
export const isSqsEvent = (e: unknown): e is SqsEvent =>
  typeof e === "object" && e !== null && Array.isArray((e as SqsEvent).Records) && (e as SqsEvent).Records.every((r) => r?.eventSource === "aws:sqs");

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** The Web Request for an event, or the 4xx answer when it cannot be one (checked before any other work). */
export function toRequest(e: HttpEventV2): Request | Response {
  const method = e.requestContext.http.method;
  const line = checkRequestLine(method, `${e.rawPath}${e.rawQueryString ? `?${e.rawQueryString}` : ""}`, `https://${e.requestContext.domainName ?? "lambda"}`);
  if (!line.ok) return line.response;
  try {
    const headers = new Headers();
    for (const [k, v] of Object.entries(e.headers ?? {})) if (v !== undefined) headers.set(k, v);
    if (e.cookies?.length) headers.set("cookie", e.cookies.join("; "));
    const body = e.body === undefined || method === "GET" || method === "HEAD" ? undefined : e.isBase64Encoded ? base64ToBytes(e.body) : e.body;
    return new Request(line.url, { method, headers, body });
  } catch {
    // A header the Fetch API refuses, or a body that is not base64: the caller's mistake.
    return new Response(JSON.stringify({ error: "bad request" }), { status: 400, headers: { "content-type": "application/json" } });
  }
}

export async function fromResponse(r: Response): Promise<HttpResultV2> {
  return { statusCode: r.status, headers: Object.fromEntries(r.headers), body: await r.text(), isBase64Encoded: false };
}

/** Builds the env once per container (cold start) and reuses it for every invocation. */
function once<E>(make: () => Promise<E>): () => Promise<E> {
  let env: Promise<E> | undefined;
  return () => (env ??= make().catch((err) => ((env = undefined), Promise.reject(err))));
}

export function httpHandler<E>(fn: HttpFunction<E>, makeEnv: () => Promise<E>) {
  const env = once(makeEnv);
  return async (event: unknown): Promise<HttpResultV2> => {
    if (!isHttpEvent(event)) return { statusCode: 400, headers: {}, body: "unsupported event", isBase64Encoded: false };
    const req = toRequest(event);
    return fromResponse(req instanceof Response ? req : await fn.fetch(req, await env()));
  };
}

export function scheduledHandler<E, R>(fn: ScheduledFunction<E, R>, makeEnv: () => Promise<E>) {
  const env = once(makeEnv);
  return async (event: unknown): Promise<R> => {
    if (!isScheduledEvent(event)) throw new UsageError("not an EventBridge scheduled event");
    return fn.scheduled({ scheduledTime: Date.parse(event.time), cron: event.resources?.[0] }, await env());
  };
}

/** EventBridge rule target for EC2 instance events; anything else is refused (a wiring mistake). */
export function nodeEventHandler<E, R>(fn: NodeEventFunction<E, R>, makeEnv: () => Promise<E>) {
  const env = once(makeEnv);
  return async (event: unknown): Promise<R> => {
    if (!isEc2InstanceEvent(event)) throw new Error("not an EC2 spot interruption or instance state-change event");
    return fn.nodeEvent(toNodeEvent(event), await env());
  };
}

/**
 * SQS with ReportBatchItemFailures: only the messages the consumer asks to retry go back
 * to the queue (and, after maxReceiveCount, to the dead-letter queue); the rest are deleted.
 */
export function queueHandler<E>(fn: QueueFunction<E>, makeEnv: () => Promise<E>) {
  const env = once(makeEnv);
  return async (event: unknown): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> => {
    if (!isSqsEvent(event)) throw new UsageError("not an SQS event");
    const messages = event.Records.map((r) => ({ id: r.messageId, body: r.body }));
    const { retry } = await fn.queue({ messages }, await env());
    return { batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
