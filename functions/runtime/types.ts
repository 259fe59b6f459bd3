/**
 * The handler contract, Web standards only (the shapes Deno Deploy and Cloudflare use):
 * HTTP functions export `{ fetch(req, env) }`, scheduled ones `{ scheduled(event, env) }`,
 * queue consumers `{ queue(batch, env) }`. Adapters in this folder map platforms onto them.
 */

export interface HttpFunction<E> {
  fetch(req: Request, env: E): Promise<Response>;
}

export interface ScheduledEvent {
  /** Epoch milliseconds of the tick. */
  scheduledTime: number;
  /** The schedule's name or expression, when the platform gives one. */
  cron?: string;
}

/** Scheduled functions return a JSON-able report: logged by adapters, printed by `functions run`. */
export interface ScheduledFunction<E, R = unknown> {
  scheduled(event: ScheduledEvent, env: E): Promise<R>;
}

export interface QueueMessage {
  id: string;
  body: string;
}

export interface QueueResult {
  /** Ids of messages to deliver again later; every other message is done. */
  retry: string[];
}

export interface QueueFunction<E> {
  queue(batch: { messages: QueueMessage[] }, env: E): Promise<QueueResult>;
}

export { silent, type Log } from "../../src/log.ts";

/**
 * A build node's platform told us it is going or gone: EC2's spot interruption warning
 * (two minutes ahead) or an instance state change. Adapters translate the platform's
 * event into this shape, so the handler knows no EventBridge JSON.
 */
export interface NodeEvent {
  kind: "interruption-warning" | "state-change";
  nodeId: string;
  /** state-change only: the platform's new state (EC2: pending, running, stopping, stopped, shutting-down, terminated). */
  state?: string;
  /** Epoch milliseconds of the event. */
  time: number;
}

/** Node event consumers return a JSON-able report, like scheduled functions. */
export interface NodeEventFunction<E, R = unknown> {
  nodeEvent(event: NodeEvent, env: E): Promise<R>;
}

