import type { LaunchQueue } from "../../../../functions/runtime/ports.ts";
import type { QueueMessage, QueueResult } from "../../../../functions/runtime/types.ts";

/** A queue that hands each message to the consumer in the order sent, concurrently like SQS would. */
export function localQueueForTests(consume: (b: { messages: QueueMessage[] }) => Promise<QueueResult>): LaunchQueue & { drain(): Promise<void>; sent: number[] } {
  const sent: number[] = [];
  const inflight: Promise<unknown>[] = [];
  let seq = 0;
  return {
    sent,
    async send(req) {
      sent.push(req.jobId);
      inflight.push(consume({ messages: [{ id: `m${++seq}`, body: JSON.stringify(req) }] }));
    },
    drain: async () => void (await Promise.all(inflight)),
  };
}
