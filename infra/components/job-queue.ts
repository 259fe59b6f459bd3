import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { arnOr } from "../naming.ts";
import type { Scope } from "../policies/document.ts";

export interface JobQueueArgs {
  prefix: string;
  scope: pulumi.Output<Scope>;
  /** The consumer's timeout: SQS visibility must be at least six times it (AWS guidance for Lambda). */
  consumerTimeoutSeconds: number;
  maxReceiveCount: number;
  tags: Record<string, string>;
}

/**
 * Pending jobs between the webhook and the launcher, FIFO: the webhook sends each job with
 * MessageDeduplicationId = job id (functions/runtime/aws-env.ts), so SQS drops duplicate
 * deliveries within five minutes, and MessageGroupId = job id keeps jobs independent. A job that fails to launch
 * maxReceiveCount times moves to the dead-letter queue instead of looping; the
 * reconciler still finds such a job by polling GitLab.
 */
export class JobQueue extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly deadLetter: aws.sqs.Queue;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: JobQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:infra:JobQueue", name, {}, opts);
    const parent = { parent: this };
    this.deadLetter = new aws.sqs.Queue(
      `${name}-dlq`,
      { name: `${args.prefix}-jobs-dlq.fifo`, fifoQueue: true, messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true, tags: args.tags },
      parent,
    );
    this.queue = new aws.sqs.Queue(
      `${name}-queue`,
      {
        name: `${args.prefix}-jobs.fifo`,
        fifoQueue: true,
        contentBasedDeduplication: false,
        visibilityTimeoutSeconds: args.consumerTimeoutSeconds * 6,
        // A pending job older than a day is no longer worth a node.
        messageRetentionSeconds: 24 * 3600,
        sqsManagedSseEnabled: true,
        redrivePolicy: pulumi
          .all([this.deadLetter.arn, args.scope])
          .apply(([reported, scope]) => JSON.stringify({ deadLetterTargetArn: arnOr(reported, scope, "sqs", `${args.prefix}-jobs-dlq.fifo`), maxReceiveCount: args.maxReceiveCount })),
        tags: args.tags,
      },
      parent,
    );
    this.arn = pulumi.all([this.queue.arn, args.scope]).apply(([reported, scope]) => arnOr(reported, scope, "sqs", `${args.prefix}-jobs.fifo`));
    new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq-allow`,
      { queueUrl: this.deadLetter.url, redriveAllowPolicy: this.arn.apply((arn) => JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [arn] })) },
      parent,
    );
    this.registerOutputs({ queueUrl: this.queue.url, deadLetterUrl: this.deadLetter.url });
  }
}
