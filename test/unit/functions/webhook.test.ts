import assert from "node:assert/strict";
import webhook, { type WebhookEnv } from "../../../functions/gitlab-webhook/index.ts";
import { memoryDedupe, memoryQueue } from "../../../functions/runtime/ports.ts";
import { webhookRequest } from "./support/fakes.ts";
import { fixture, fixtureText, test } from "./support/harness.ts";

const SECRET = "s3cret";

function env(over: Partial<WebhookEnv> = {}) {
  const queue = memoryQueue();
  return { queue, env: { webhookSecret: SECRET, queue, dedupe: memoryDedupe(), ...over } satisfies WebhookEnv };
}

test("webhook: a pending Job Hook is queued once with its job and project ids", async () => {
  const { queue, env: e } = env();
  const res = await webhook.fetch(webhookRequest(await fixtureText("job-pending.json"), SECRET), e);
  assert.equal(res.status, 202);
  assert.deepEqual(queue.sent, [{ jobId: 1977, projectId: 380 }]);
});

test("webhook: missing or wrong X-Gitlab-Token is 401 and queues nothing", async () => {
  const { queue, env: e } = env();
  const body = await fixtureText("job-pending.json");
  for (const token of [undefined, "", "s3cre", "s3cret!", "S3CRET"]) {
    const res = await webhook.fetch(webhookRequest(body, token), e);
    assert.equal(res.status, 401, `token ${JSON.stringify(token)}`);
  }
  assert.equal(queue.sent.length, 0);
});

test("webhook: duplicate deliveries and GitLab retries queue nothing more", async () => {
  const { queue, env: e } = env();
  const body = await fixtureText("job-pending.json");
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push((await webhook.fetch(webhookRequest(body, SECRET, { "x-gitlab-event-uuid": `u${i}` }), e)).status);
  assert.deepEqual(statuses, [202, 200, 200, 200, 200]);
  assert.equal(queue.sent.length, 1);
});

test("webhook: concurrent duplicates queue one message", async () => {
  const { queue, env: e } = env();
  const body = await fixtureText("job-pending.json");
  await Promise.all(Array.from({ length: 10 }, () => webhook.fetch(webhookRequest(body, SECRET), e)));
  assert.equal(queue.sent.length, 1);
});

test("webhook: running, success and pipeline events are answered 200 and ignored", async () => {
  const { queue, env: e } = env();
  for (const name of ["job-running.json", "job-success.json", "pipeline-pending.json"]) {
    const res = await webhook.fetch(webhookRequest(await fixtureText(name), SECRET), e);
    assert.equal(res.status, 200, name);
  }
  assert.equal(queue.sent.length, 0);
});

test("webhook: malformed JSON, non-object bodies and job events without ids are 400", async () => {
  const { queue, env: e } = env();
  const pending = await fixture("job-pending.json");
  const bodies = ["{", "", "null", "[]", "42", '"build"', JSON.stringify({ ...pending, build_id: "1977" }), JSON.stringify({ ...pending, project_id: -1 })];
  for (const body of bodies) assert.equal((await webhook.fetch(webhookRequest(body, SECRET), e)).status, 400, body.slice(0, 30));
  assert.equal(queue.sent.length, 0);
});

test("webhook: a body over the limit is 413, whether declared or streamed", async () => {
  const { queue, env: e } = env({ maxBodyBytes: 1024 });
  const big = JSON.stringify({ ...(await fixture("job-pending.json")), pad: "x".repeat(4096) });
  assert.equal((await webhook.fetch(webhookRequest(big, SECRET), e)).status, 413);
  const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(big)); c.close(); } });
  const req = new Request("http://localhost/webhook", { method: "POST", headers: { "x-gitlab-token": SECRET }, body: stream, duplex: "half" } as RequestInit);
  assert.equal((await webhook.fetch(req, e)).status, 413);
  assert.equal(queue.sent.length, 0);
});

test("webhook: other methods are 405", async () => {
  const { env: e } = env();
  const res = await webhook.fetch(new Request("http://localhost/webhook", { headers: { "x-gitlab-token": SECRET } }), e);
  assert.equal(res.status, 405);
});

test("webhook: a failing queue is 503 and the job can be queued by GitLab's retry", async () => {
  let fail = true;
  const sent: unknown[] = [];
  const { env: e } = env({ queue: { send: async (r) => { if (fail) throw new Error("down"); sent.push(r); } } });
  const body = await fixtureText("job-pending.json");
  assert.equal((await webhook.fetch(webhookRequest(body, SECRET), e)).status, 503);
  fail = false;
  assert.equal((await webhook.fetch(webhookRequest(body, SECRET), e)).status, 202);
  assert.equal(sent.length, 1);
});

test("webhook: an empty configured secret accepts no token at all", async () => {
  const { queue, env: e } = env({ webhookSecret: "" });
  assert.equal((await webhook.fetch(webhookRequest(await fixtureText("job-pending.json"), ""), e)).status, 401);
  assert.equal(queue.sent.length, 0);
});

test("webhook: answers within a second", async () => {
  const { env: e } = env();
  const body = await fixtureText("job-pending.json");
  const t0 = performance.now();
  await webhook.fetch(webhookRequest(body, SECRET), e);
  assert.ok(performance.now() - t0 < 1000);
});
