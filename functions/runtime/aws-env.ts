import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { UsageError } from "../../src/errors.ts";
import { awsErrorCode } from "../../src/util/aws-errors.ts";
import { withCap } from "../../src/fleet/cap.ts";
import { createEc2Fleet } from "../../src/fleet/ec2/provider.ts";
import { parseFunctionsConfig, type FunctionsConfig, type ParseOptions } from "../../src/functions-config/config.ts";
import { functionEnvs, type FunctionEnvs } from "../../src/functions-config/envs.ts";
import { createGitLabClient } from "../../src/gitlab/http.ts";
import type { DedupeStore, LaunchQueue } from "./ports.ts";
import type { Log } from "./types.ts";

/**
 * Wiring for the Lambda entries (functions/<name>/lambda.ts): reads the function's
 * environment once, builds the AWS-backed ports. This is the only place AWS clients are made.
 */

export const jsonLog: Log = (event, fields = {}) => console.log(JSON.stringify({ event, ...fields }));

type Env = Record<string, string | undefined>;

export function lambdaConfig(env: Env, opts: ParseOptions = {}): FunctionsConfig {
  return parseFunctionsConfig({ ...env, SLIPWAY_FLEET: "ec2" }, opts);
}

/** Secret variable -> the variable naming its SSM SecureString parameter (set by infra). */
export const SECRET_PARAMETERS = { SLIPWAY_WEBHOOK_SECRET: "SLIPWAY_WEBHOOK_SECRET_PARAMETER", GITLAB_TOKEN: "GITLAB_TOKEN_PARAMETER" } as const;

async function readParameter(client: SSMClient, sdk: typeof import("@aws-sdk/client-ssm"), variable: string, name: string): Promise<string> {
  let value: string | undefined;
  try {
    value = (await client.send(new sdk.GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value;
  } catch (err) {
    // The SDK's error names and messages carry the parameter name, never its value.
    const code = awsErrorCode(err) || "Error";
    if (code === "ParameterNotFound") throw new UsageError(`${variable}: SSM parameter "${name}" does not exist`);
    throw new UsageError(`${variable}: cannot read SSM parameter "${name}" (${code}: ${(err as Error).message})`);
  }
  if (!value) throw new UsageError(`${variable}: SSM parameter "${name}" is empty`);
  return value;
}

/**
 * Secrets come from SSM when infra names their parameter (SLIPWAY_WEBHOOK_SECRET_PARAMETER,
 * GITLAB_TOKEN_PARAMETER); the plain variables are used only when no parameter is named
 * (local use). The values never reach a log line or an error message.
 */
export async function resolveSecrets(env: Env, client?: SSMClient): Promise<Env> {
  const named = Object.entries(SECRET_PARAMETERS).filter(([, param]) => env[param]);
  if (named.length === 0) return env;
  const sdk = await import("@aws-sdk/client-ssm");
  const c = client ?? new sdk.SSMClient({});
  const values = await Promise.all(named.map(([plain, param]) => readParameter(c, sdk, param, env[param] as string).then((v) => [plain, v] as const)));
  return { ...env, ...Object.fromEntries(values) };
}

/**
 * For a Lambda entry's module scope: the config with its secrets, read once per container
 * (cold start) on the first invocation and shared by every later one. A failure is not
 * cached, so the next invocation tries SSM again.
 */
export function lambdaConfigOnce(env: Env, opts: ParseOptions = {}, client?: SSMClient): () => Promise<FunctionsConfig> {
  let cfg: Promise<FunctionsConfig> | undefined;
  return () => (cfg ??= resolveSecrets(env, client).then((e) => lambdaConfig(e, opts)).catch((err: unknown) => ((cfg = undefined), Promise.reject(err))));
}

export async function lambdaEnvs(cfg: FunctionsConfig): Promise<FunctionEnvs> {
  const fleet = await createEc2Fleet({ ...cfg.ec2 });
  const gitlab = createGitLabClient({ url: cfg.gitlabUrl, token: cfg.gitlabToken });
  return functionEnvs(cfg, { fleet: withCap(fleet, cfg.maxNodes), gitlab, secrets: fleet.tokens, ...(fleet.pool && { pool: fleet.pool }) }, jsonLog);
}

/**
 * The queue is SQS FIFO: MessageDeduplicationId = job id makes SQS drop a duplicate
 * delivery within its 5-minute window, and MessageGroupId = job id keeps jobs parallel.
 */
export async function sqsQueue(queueUrl: string, client?: SQSClient): Promise<LaunchQueue> {
  const sqs = await import("@aws-sdk/client-sqs");
  const c = client ?? new sqs.SQSClient({});
  return {
    async send(req) {
      const id = String(req.jobId);
      await c.send(new sqs.SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(req), MessageGroupId: id, MessageDeduplicationId: id }));
    },
  };
}

/**
 * In Lambda the FIFO queue is the dedupe store (see sqsQueue), and the launcher's
 * look-up by job-id tag plus the ClientToken catch redeliveries after its window.
 */
export const fifoDedupe: DedupeStore = { claim: async () => true, release: async () => undefined };
