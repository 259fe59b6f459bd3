import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Scope } from "../policies/document.ts";
import type { FunctionName } from "../policies/functions.ts";
import { SlipwayFunction, type SharedPolicyInput } from "./function.ts";

export interface FunctionsArgs {
  prefix: string;
  scope: pulumi.Output<Scope>;
  policyInput: pulumi.Output<SharedPolicyInput>;
  /** Settings every function reads (names of secrets, never their values). */
  common: Record<string, pulumi.Input<string>>;
  /** Extra settings per function. */
  perFunction: Partial<Record<FunctionName, Record<string, pulumi.Input<string>>>>;
  queueArn: pulumi.Output<string>;
  logRetentionDays: number;
  tags: Record<string, string>;
}

/** Timeout (s) and memory (MB) per function; the launcher's timeout also sizes the queue's visibility. */
export const SIZING: Record<FunctionName, { timeoutSeconds: number; memoryMb: number }> = {
  // GitLab gives up on a hook after 10 s; the handler answers well within it.
  "gitlab-webhook": { timeoutSeconds: 10, memoryMb: 256 },
  launcher: { timeoutSeconds: 60, memoryMb: 256 },
  reaper: { timeoutSeconds: 120, memoryMb: 256 },
  reconciler: { timeoutSeconds: 120, memoryMb: 256 },
  cleanup: { timeoutSeconds: 900, memoryMb: 512 },
  // A spot warning gives two minutes; cancel, retry and one launch take seconds.
  "node-interruption": { timeoutSeconds: 60, memoryMb: 256 },
};

/**
 * The six functions, the webhook's public URL and the queue feeding the launcher.
 * The URL is unauthenticated at the AWS level on purpose: GitLab cannot sign requests,
 * so the handler checks X-Gitlab-Token itself (constant time) and answers 401 otherwise.
 */
export class Functions extends pulumi.ComponentResource {
  readonly byName: Record<FunctionName, SlipwayFunction>;
  readonly webhookUrl: pulumi.Output<string>;

  constructor(name: string, args: FunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:infra:Functions", name, {}, opts);
    const parent = { parent: this };
    const make = (fn: FunctionName) =>
      new SlipwayFunction(
        `${name}-${fn}`,
        {
          name: fn,
          prefix: args.prefix,
          scope: args.scope,
          policyInput: args.policyInput,
          environment: { ...args.common, ...(args.perFunction[fn] ?? {}), SLIPWAY_FUNCTION: fn },
          ...SIZING[fn],
          logRetentionDays: args.logRetentionDays,
          tags: args.tags,
        },
        parent,
      );
    this.byName = {
      "gitlab-webhook": make("gitlab-webhook"),
      launcher: make("launcher"),
      reaper: make("reaper"),
      reconciler: make("reconciler"),
      cleanup: make("cleanup"),
      "node-interruption": make("node-interruption"),
    };
    const webhook = this.byName["gitlab-webhook"].fn;
    const url = new aws.lambda.FunctionUrl(`${name}-webhook-url`, { functionName: webhook.name, authorizationType: "NONE", invokeMode: "BUFFERED" }, parent);
    new aws.lambda.Permission(
      `${name}-webhook-url-public`,
      { action: "lambda:InvokeFunctionUrl", function: webhook.name, principal: "*", functionUrlAuthType: "NONE" },
      parent,
    );
    // Function URLs created since late 2025 also need InvokeFunction, limited to calls through the URL.
    new aws.lambda.Permission(
      `${name}-webhook-url-invoke`,
      { action: "lambda:InvokeFunction", function: webhook.name, principal: "*", invokedViaFunctionUrl: true },
      parent,
    );
    new aws.lambda.EventSourceMapping(
      `${name}-launcher-jobs`,
      {
        eventSourceArn: args.queueArn,
        functionName: this.byName.launcher.fn.name,
        batchSize: 5,
        // One failed launch retries alone; the rest of the batch is not replayed.
        functionResponseTypes: ["ReportBatchItemFailures"],
        scalingConfig: { maximumConcurrency: 2 },
      },
      parent,
    );
    this.webhookUrl = url.functionUrl;
    this.registerOutputs({ webhookUrl: this.webhookUrl });
  }
}
