import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { lambdaConfigOnce, resolveSecrets } from "../../../functions/runtime/aws-env.ts";

const fixture = JSON.parse(readFileSync(new URL("../../fixtures/events/lambda-function-url.json", import.meta.url), "utf8")) as unknown;
const PARAMS = { SLIPWAY_WEBHOOK_SECRET_PARAMETER: "/slipway/test/webhook-secret", GITLAB_TOKEN_PARAMETER: "/slipway/test/gitlab-token" };
const VALUES: Record<string, string> = { "/slipway/test/webhook-secret": "s3cret", "/slipway/test/gitlab-token": "glpat-from-ssm" };

function parameterNotFound(): Error {
  return Object.assign(new Error("ParameterNotFound"), { name: "ParameterNotFound", $metadata: { httpStatusCode: 400 } });
}

const ssm = mockClient(SSMClient);
beforeEach(() => {
  ssm.reset();
  ssm.on(GetParameterCommand).callsFake((input: { Name: string; WithDecryption?: boolean }) => {
    if (!input.WithDecryption) throw new Error("SecureString read without decryption");
    const value = VALUES[input.Name];
    if (value === undefined) throw parameterNotFound();
    return { Parameter: { Name: input.Name, Type: "SecureString", Value: value } };
  });
});
afterAll(() => ssm.restore());

const names = () => ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input.Name);

describe("secrets from SSM in the Lambda wiring", () => {
  it("resolves every named parameter with decryption, in place of the plain variables", async () => {
    const env = await resolveSecrets({ ...PARAMS, GITLAB_TOKEN: "plain-ignored" });
    expect(env).toMatchObject({ SLIPWAY_WEBHOOK_SECRET: "s3cret", GITLAB_TOKEN: "glpat-from-ssm" });
    expect(names().sort()).toEqual([PARAMS.GITLAB_TOKEN_PARAMETER, PARAMS.SLIPWAY_WEBHOOK_SECRET_PARAMETER]);
    expect(ssm.commandCalls(GetParameterCommand).every((c) => c.args[0].input.WithDecryption === true)).toBe(true);
  });

  it("reads each parameter once per container, however many invocations follow", async () => {
    const config = lambdaConfigOnce({ ...PARAMS, SLIPWAY_LAUNCH_TEMPLATE: "lt-1" });
    const configs = await Promise.all([config(), config(), config()]);
    await config();
    expect(configs.map((c) => c.gitlabToken)).toEqual(["glpat-from-ssm", "glpat-from-ssm", "glpat-from-ssm"]);
    expect(names().sort()).toEqual([PARAMS.GITLAB_TOKEN_PARAMETER, PARAMS.SLIPWAY_WEBHOOK_SECRET_PARAMETER]);
  });

  it("a missing parameter is an error naming the variable and the parameter, not a value; the next invocation retries", async () => {
    const config = lambdaConfigOnce({ GITLAB_TOKEN_PARAMETER: "/slipway/test/missing", GITLAB_TOKEN: "plain-secret-value" }, { launches: false });
    const err = (await config().then(() => undefined, (e: unknown) => e)) as Error;
    expect(err).toMatchObject({ name: "UsageError", message: 'GITLAB_TOKEN_PARAMETER: SSM parameter "/slipway/test/missing" does not exist' });
    expect(err.message).not.toContain("plain-secret-value");
    await expect(config()).rejects.toThrow(/missing/);
    expect(names()).toEqual(["/slipway/test/missing", "/slipway/test/missing"]);
  });

  it("an empty parameter is refused too", async () => {
    VALUES["/slipway/test/empty"] = "";
    await expect(resolveSecrets({ SLIPWAY_WEBHOOK_SECRET_PARAMETER: "/slipway/test/empty" })).rejects.toThrow('SLIPWAY_WEBHOOK_SECRET_PARAMETER: SSM parameter "/slipway/test/empty" is empty');
  });

  it("without *_PARAMETER variables the plain ones are used and SSM is never called (local use)", async () => {
    const cfg = await lambdaConfigOnce({ SLIPWAY_WEBHOOK_SECRET: "local-secret", GITLAB_TOKEN: "local-token" }, { launches: false })();
    expect(cfg).toMatchObject({ webhookSecret: "local-secret", gitlabToken: "local-token" });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
  });
});

describe("the webhook Lambda entry", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    vi.resetModules();
  });

  it("checks requests against the secret from SSM, read once across invocations, and never logs it", async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({ MessageId: "1" });
    const logged = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      delete process.env.SLIPWAY_WEBHOOK_SECRET;
      Object.assign(process.env, { SLIPWAY_WEBHOOK_SECRET_PARAMETER: PARAMS.SLIPWAY_WEBHOOK_SECRET_PARAMETER, SLIPWAY_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/1/launch.fifo" });
      vi.resetModules();
      const { handler } = await import("../../../functions/gitlab-webhook/lambda.ts");
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await handler(fixture)).statusCode);
      const wrong = structuredClone(fixture) as { headers: Record<string, string> };
      wrong.headers["x-gitlab-token"] = "wrong";
      statuses.push((await handler(wrong)).statusCode);
      expect(statuses).toEqual([202, 202, 202, 401]); // in Lambda SQS FIFO drops the duplicates, not the webhook
      expect(names()).toEqual([PARAMS.SLIPWAY_WEBHOOK_SECRET_PARAMETER]);
      expect(JSON.stringify(logged.mock.calls)).not.toContain("s3cret");
    } finally {
      logged.mockRestore();
      sqs.restore();
    }
  });
});
