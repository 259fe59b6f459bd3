import { jsonLog, lambdaConfigOnce, fifoDedupe, sqsQueue } from "../runtime/aws-env.ts";
import { httpHandler } from "../runtime/aws-lambda.ts";
import webhook, { type WebhookEnv } from "./index.ts";
import { UsageError } from "../../src/errors.ts";

/** The config and its SSM secrets, read once per container (cold start). */
const config = lambdaConfigOnce(process.env, { launches: false });

/** Lambda entry (function URL): the handler plus its AWS-backed env. */
export const handler = httpHandler(webhook, async (): Promise<WebhookEnv> => {
  const cfg = await config();
  if (!cfg.queueUrl) throw new UsageError("SLIPWAY_QUEUE_URL is not set");
  if (!cfg.webhookSecret) throw new UsageError("neither SLIPWAY_WEBHOOK_SECRET_PARAMETER nor SLIPWAY_WEBHOOK_SECRET is set");
  return { webhookSecret: cfg.webhookSecret, queue: await sqsQueue(cfg.queueUrl), dedupe: fifoDedupe, log: jsonLog };
});
