import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { SlipwayFunction } from "./function.ts";

export interface ScheduleSpec {
  fn: SlipwayFunction;
  /** EventBridge expression: rate(5 minutes) or cron(0 3 * * ? *). */
  expression: string;
  description: string;
}

export interface SchedulesArgs {
  prefix: string;
  schedules: Record<string, ScheduleSpec>;
  tags: Record<string, string>;
}

/** EventBridge rules that run the scheduled functions (reaper, reconciler, cleanup). */
export class Schedules extends pulumi.ComponentResource {
  readonly rules: Record<string, aws.cloudwatch.EventRule> = {};

  constructor(name: string, args: SchedulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:infra:Schedules", name, {}, opts);
    const parent = { parent: this };
    for (const [key, spec] of Object.entries(args.schedules)) {
      const rule = new aws.cloudwatch.EventRule(
        `${name}-${key}`,
        { name: `${args.prefix}-${key}`, description: spec.description, scheduleExpression: spec.expression, tags: args.tags },
        parent,
      );
      new aws.cloudwatch.EventTarget(`${name}-${key}-target`, { rule: rule.name, arn: spec.fn.fn.arn }, parent);
      new aws.lambda.Permission(
        `${name}-${key}-invoke`,
        { action: "lambda:InvokeFunction", function: spec.fn.fn.name, principal: "events.amazonaws.com", sourceArn: rule.arn },
        parent,
      );
      this.rules[key] = rule;
    }
    this.registerOutputs({});
  }
}
