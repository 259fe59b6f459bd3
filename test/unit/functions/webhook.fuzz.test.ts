import assert from "node:assert/strict";
import fc from "fast-check";
import webhook from "../../../functions/gitlab-webhook/index.ts";
import launcher from "../../../functions/launcher/index.ts";
import { localQueueForTests } from "./support/queue.ts";
import { memoryDedupe, memoryQueue } from "../../../functions/runtime/ports.ts";
import { fakeGitLab, job, memoryFleet } from "./support/fakes.ts";
import { fixture, test } from "./support/harness.ts";

const SECRET = "fuzz-secret";
const pending = await fixture("job-pending.json");

/** Bodies from noise to nearly-valid job events: the interesting cases are near the valid one. */
const jsonValue = fc.jsonValue({ maxDepth: 3 });
const mutatedEvent = fc.record({
  object_kind: fc.oneof(fc.constant("build"), fc.constant("pipeline"), jsonValue),
  build_status: fc.oneof(fc.constantFrom("pending", "running", "success", "created", "canceled"), jsonValue),
  build_id: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer(), fc.double(), fc.string(), fc.constant(null)),
  project_id: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer(), fc.string(), fc.constant(null)),
  extra: jsonValue,
}, { requiredKeys: [] }).map((r) => JSON.stringify({ ...pending, ...r }));
const body = fc.oneof(fc.string(), fc.string({ unit: "binary" }), jsonValue.map((v) => JSON.stringify(v)), mutatedEvent);
const token = fc.option(fc.oneof(fc.constant(SECRET), fc.string({ unit: fc.constantFrom(..."abcdefz-SECRTfuz"), maxLength: 16 })), { nil: undefined });
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }).map((s) => s.trim());

test("webhook fuzz: never a 5xx, never a queued launch without the right token", async () => {
  await fc.assert(
    fc.asyncProperty(body, token, fc.constantFrom("POST", "PUT", "GET"), fc.dictionary(fc.constantFrom("content-type", "x-gitlab-event", "content-length-ish"), headerValue), async (b, t, method, extra) => {
      const queue = memoryQueue();
      const headers = new Headers(extra);
      if (t !== undefined) headers.set("x-gitlab-token", t);
      const req = new Request("http://localhost/webhook", { method, headers, body: method === "GET" ? undefined : b });
      const res = await webhook.fetch(req, { webhookSecret: SECRET, queue, dedupe: memoryDedupe(), maxBodyBytes: 64 * 1024 });
      assert.ok(res.status < 500, `status ${res.status}`);
      if (t !== SECRET) assert.equal(queue.sent.length, 0);
      for (const s of queue.sent) assert.ok(Number.isSafeInteger(s.jobId) && s.jobId > 0);
    }),
    { numRuns: 1500 },
  );
});

/** A delivery of a job's event: status and whether it carries the right token. */
const delivery = fc.record({ jobId: fc.integer({ min: 1, max: 6 }), status: fc.constantFrom("pending", "pending", "running", "success"), good: fc.boolean() });

test("webhook fuzz: duplicate and out-of-order deliveries give at most one node per job, and only for authenticated pending events", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(delivery, { maxLength: 30 }), async (deliveries) => {
      const gl = fakeGitLab(Array.from({ length: 6 }, (_, i) => job({ id: i + 1 })));
      const mem = memoryFleet();
      const launchEnv = { gitlab: gl.api, fleet: mem.fleet, now: () => new Date(), settings: { tags: ["slipway"], mode: "pool" as const, nodeTtlMs: 60_000 } };
      const queue = localQueueForTests((batch) => launcher.queue(batch, launchEnv));
      const env = { webhookSecret: SECRET, queue, dedupe: memoryDedupe() };
      await Promise.all(deliveries.map((d) =>
        webhook.fetch(new Request("http://localhost/webhook", {
          method: "POST",
          headers: { "x-gitlab-token": d.good ? SECRET : "nope" },
          body: JSON.stringify({ ...pending, build_id: d.jobId, project_id: 380, build_status: d.status }),
        }), env),
      ));
      await queue.drain();
      const expected = new Set(deliveries.filter((d) => d.good && d.status === "pending").map((d) => d.jobId));
      assert.deepEqual(new Set(mem.nodes.map((n) => n.jobId)), expected);
      assert.equal(mem.specs.length, expected.size);
      assert.equal(queue.sent.length, new Set(queue.sent).size, "a job id was queued twice");
    }),
    { numRuns: 1000 },
  );
});
