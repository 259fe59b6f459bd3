import { jsonLog, lambdaConfig, fifoDedupe, sqsQueue } from "../runtime/aws-env.ts";
import { httpHandler } from "../runtime/aws-lambda.ts";
import webhook, { type WebhookEnv } from "./index.ts";

/** Lambda entry (function URL): the handler plus its AWS-backed env. */
export const handler = httpHandler(webhook, async (): Promise<WebhookEnv> => {
  const cfg = lambdaConfig(process.env);
  if (!cfg.queueUrl) throw new Error("SLIPWAY_QUEUE_URL is not set");
  return { webhookSecret: cfg.webhookSecret, queue: await sqsQueue(cfg.queueUrl), dedupe: fifoDedupe, log: jsonLog };
});
