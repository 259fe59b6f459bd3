import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { existsSync, readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { run } from "../../../src/util/process.ts";
import { fakeAws } from "./support/fake-ec2.ts";
import { apiJob, startGitLabFake } from "./support/gitlab-server.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
// Inside the repo, so the bundles resolve the external @aws-sdk packages as Lambda's runtime would.
const OUT = join(ROOT, "dist", `.bundle-test-${process.pid}`);
const fixture = (name: string) => JSON.parse(readFileSync(join(ROOT, "test/fixtures/events", name), "utf8"));
type Handler = (event: unknown) => Promise<Record<string, unknown>>;
const load = async (name: string) => ((await import(pathToFileURL(join(OUT, name, "index.mjs")).href)) as { handler: Handler }).handler;

beforeAll(async () => {
  const r = await run(process.execPath, [join(ROOT, "scripts/bundle-functions.mjs"), OUT], { cwd: ROOT });
  expect(r.code, r.stderr).toBe(0);
}, 60_000);
const savedEnv = { ...process.env };
afterAll(async () => {
  process.env = savedEnv;
  await rm(OUT, { recursive: true, force: true });
});

// cleanup carries the cleanup library, and with it zod (src/cleanup/policy.ts, ~450 KiB
// minified): repo-cleanup.ts takes DEFAULT_GRACE_MS from there. The others stay small.
const LIMITS: Record<string, number> = { "gitlab-webhook": 64, launcher: 64, reaper: 64, reconciler: 64, cleanup: 640 };

it("writes one small artifact per function", () => {
  for (const [name, kib] of Object.entries(LIMITS)) {
    expect(existsSync(join(OUT, name, "index.mjs"))).toBe(true);
    expect(statSync(join(OUT, name, "index.mjs")).size, name).toBeLessThan(kib * 1024);
  }
});

it("the bundled webhook reads its secret from SSM and queues a pending job on SQS FIFO with the job id as deduplication id", async () => {
  const sqs = mockClient(SQSClient);
  sqs.on(SendMessageCommand).resolves({ MessageId: "1" });
  const ssm = mockClient(SSMClient);
  ssm.on(GetParameterCommand, { Name: "/slipway/webhook-secret", WithDecryption: true }).resolves({ Parameter: { Value: "s3cret" } });
  // As infra sets it: the parameter's name, no secret value and no launch template.
  Object.assign(process.env, { SLIPWAY_WEBHOOK_SECRET_PARAMETER: "/slipway/webhook-secret", SLIPWAY_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/1/launch.fifo" });
  try {
    const handler = await load("gitlab-webhook");
    expect((await handler(fixture("lambda-function-url.json"))).statusCode).toBe(202);
    expect((await handler(fixture("lambda-function-url.json"))).statusCode).toBe(202);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    expect(sqs.commandCalls(SendMessageCommand)[0].args[0].input).toMatchObject({ MessageDeduplicationId: "1977", MessageGroupId: "1977", MessageBody: '{"jobId":1977,"projectId":380}' });
  } finally {
    delete process.env.SLIPWAY_WEBHOOK_SECRET_PARAMETER;
    sqs.restore();
    ssm.restore();
  }
});

it("the bundled cleanup runs and, without SLIPWAY_REPO, reports not configured", async () => {
  const out = await (await load("cleanup"))({ "detail-type": "Scheduled Event", source: "aws.events", time: "2026-11-27T03:00:00Z" });
  expect(out).toMatchObject({ status: "not-configured" });
});

it("the bundled launcher consumes an SQS batch and launches through EC2", async () => {
  const aws = fakeAws();
  await using gl = await startGitLabFake();
  gl.setJob(380, apiJob({ id: 1977 }));
  Object.assign(process.env, { GITLAB_URL: gl.url, GITLAB_TOKEN: gl.token, SLIPWAY_LAUNCH_TEMPLATE: "lt-1", AWS_REGION: "eu-west-1" });
  try {
    const out = await (await load("launcher"))(fixture("sqs-batch.json"));
    expect(out).toEqual({ batchItemFailures: [] }); // 1978 is unknown to GitLab: skipped, not retried
    expect(aws.instances).toHaveLength(1);
    expect(aws.runInputs[0].LaunchTemplate).toEqual({ LaunchTemplateId: "lt-1", Version: "$Latest" });
  } finally {
    aws.restore();
  }
});
