import assert from "node:assert/strict";
import webhook from "../../../functions/gitlab-webhook/index.ts";
import launcher from "../../../functions/launcher/index.ts";
import cleanup from "../../../functions/cleanup/index.ts";
import { httpHandler, isHttpEvent, isScheduledEvent, isSqsEvent, queueHandler, scheduledHandler } from "../../../functions/runtime/aws-lambda.ts";
import { memoryDedupe, memoryQueue } from "../../../functions/runtime/ports.ts";
import { withCap } from "../../../src/fleet/cap.ts";
import { fakeGitLab, job, memoryFleet } from "./support/fakes.ts";
import { fixture, test } from "./support/harness.ts";

const webhookEnv = () => {
  const queue = memoryQueue();
  return { queue, make: async () => ({ webhookSecret: "s3cret", queue, dedupe: memoryDedupe() }) };
};

test("lambda: the type guards tell function URL, EventBridge and SQS events apart", async () => {
  const events = await Promise.all(["lambda-function-url.json", "eventbridge-scheduled.json", "sqs-batch.json"].map((n) => fixture(n)));
  assert.deepEqual(events.map(isHttpEvent), [true, false, false]);
  assert.deepEqual(events.map(isScheduledEvent), [false, true, false]);
  assert.deepEqual(events.map(isSqsEvent), [false, false, true]);
});

test("lambda: a function URL event reaches the webhook and its Response maps back", async () => {
  const { queue, make } = webhookEnv();
  const res = await httpHandler(webhook, make)(await fixture("lambda-function-url.json"));
  assert.equal(res.statusCode, 202);
  assert.equal(res.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(res.body), { queued: true, jobId: 1977 });
  assert.deepEqual(queue.sent, [{ jobId: 1977, projectId: 380 }]);
});

test("lambda: an API Gateway v2 event with a base64 body is decoded", async () => {
  const { queue, make } = webhookEnv();
  const res = await httpHandler(webhook, make)(await fixture("apigw-v2-base64.json"));
  assert.equal(res.statusCode, 202);
  assert.equal(queue.sent.length, 1);
});

test("lambda: a wrong token in a function URL event is 401", async () => {
  const { queue, make } = webhookEnv();
  const event = await fixture<{ headers: Record<string, string> }>("lambda-function-url.json");
  event.headers["x-gitlab-token"] = "nope";
  assert.equal((await httpHandler(webhook, make)(event)).statusCode, 401);
  assert.equal(queue.sent.length, 0);
});

test("lambda: an SQS batch maps retries to batchItemFailures; malformed messages are not retried", async () => {
  const gl = fakeGitLab([job({ id: 1977 }), job({ id: 1978 })]);
  const mem = memoryFleet();
  const handler = queueHandler(launcher, async () => ({
    gitlab: gl.api, fleet: withCap(mem.fleet, 1), now: () => new Date(), settings: { tags: ["slipway"], mode: "pool" as const, nodeTtlMs: 60_000 },
  }));
  const out = await handler(await fixture("sqs-batch.json"));
  assert.deepEqual(out, { batchItemFailures: [{ itemIdentifier: "2e1424d4-f796-459a-8184-9c92662be6da" }] });
  assert.deepEqual(mem.nodes.map((n) => n.jobId), [1977]);
});

test("lambda: an EventBridge schedule runs the scheduled handler with the rule as cron", async () => {
  let seen: unknown;
  const fn = { scheduled: async (e: unknown) => ((seen = e), cleanup.scheduled(e as never, {})) };
  const out = await scheduledHandler(fn, async () => ({}))(await fixture("eventbridge-scheduled.json"));
  assert.equal((out as { status: string }).status, "not-configured");
  assert.deepEqual(seen, { scheduledTime: Date.parse("2026-11-27T02:00:00Z"), cron: "arn:aws:events:us-east-1:123456789012:rule/slipway-reaper" });
});

test("lambda: the env is built once per container", async () => {
  let built = 0;
  const { make } = webhookEnv();
  const handler = httpHandler(webhook, async () => (built++, make()));
  const event = await fixture("lambda-function-url.json");
  await handler(event);
  await handler(event);
  assert.equal(built, 1);
});

test("lambda: TRACE and unparsable paths are 405 and 400 before the env is built or the token read", async () => {
  const base = await fixture<{ rawPath: string; requestContext: { http: { method: string } } }>("lambda-function-url.json");
  let built = 0;
  const handler = httpHandler(webhook, async () => (built++, (await webhookEnv().make())));
  const trace = structuredClone(base);
  trace.requestContext.http.method = "TRACE";
  assert.equal((await handler(trace)).statusCode, 405);
  const bad = structuredClone(base);
  bad.rawPath = "webhook";
  assert.equal((await handler(bad)).statusCode, 400);
  const badBody = { ...structuredClone(base), isBase64Encoded: true, body: "%%%not base64" };
  assert.equal((await handler(badBody)).statusCode, 400);
  assert.equal(built, 0);
});
