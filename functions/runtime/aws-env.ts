import type { SQSClient } from "@aws-sdk/client-sqs";
import { withCap } from "../../src/fleet/cap.ts";
import { createEc2Fleet } from "../../src/fleet/ec2/provider.ts";
import { parseFunctionsConfig, type FunctionsConfig } from "../../src/functions-config/config.ts";
import { functionEnvs, type FunctionEnvs } from "../../src/functions-config/envs.ts";
import { createGitLabClient } from "../../src/gitlab/http.ts";
import type { DedupeStore, LaunchQueue } from "./ports.ts";
import type { Log } from "./types.ts";

/**
 * Wiring for the Lambda entries (functions/<name>/lambda.ts): reads the function's
 * environment once, builds the AWS-backed ports. This is the only place AWS clients are made.
 */

export const jsonLog: Log = (event, fields = {}) => console.log(JSON.stringify({ event, ...fields }));

export function lambdaConfig(env: Record<string, string | undefined>): FunctionsConfig {
  return parseFunctionsConfig({ ...env, SLIPWAY_FLEET: "ec2" });
}

export async function lambdaEnvs(cfg: FunctionsConfig): Promise<FunctionEnvs> {
  const fleet = await createEc2Fleet({ ...cfg.ec2 });
  const gitlab = createGitLabClient({ url: cfg.gitlabUrl, token: cfg.gitlabToken });
  return functionEnvs(cfg, { fleet: withCap(fleet, cfg.maxNodes), gitlab, secrets: fleet.tokens }, jsonLog);
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
