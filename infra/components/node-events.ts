import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SPOT_INTERRUPTION_PATTERN, STATE_CHANGE_PATTERN } from "../event-patterns.ts";
import type { SlipwayFunction } from "./function.ts";

export interface NodeEventsArgs {
  prefix: string;
  fn: SlipwayFunction;
  tags: Record<string, string>;
}

/**
 * EventBridge rules on the default bus that route EC2's spot interruption warnings and
 * instance state changes to the node-interruption function; each rule may invoke only it.
 */
export class NodeEvents extends pulumi.ComponentResource {
  readonly rules: Record<"spotInterruption" | "stateChange", aws.cloudwatch.EventRule>;

  constructor(name: string, args: NodeEventsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:infra:NodeEvents", name, {}, opts);
    const parent = { parent: this };
    const rule = (key: string, description: string, pattern: object) => {
      const r = new aws.cloudwatch.EventRule(`${name}-${key}`, { name: `${args.prefix}-${key}`, description, eventPattern: JSON.stringify(pattern), tags: args.tags }, parent);
      new aws.cloudwatch.EventTarget(`${name}-${key}-target`, { rule: r.name, arn: args.fn.fn.arn }, parent);
      new aws.lambda.Permission(`${name}-${key}-invoke`, { action: "lambda:InvokeFunction", function: args.fn.fn.name, principal: "events.amazonaws.com", sourceArn: r.arn }, parent);
      return r;
    };
    this.rules = {
      spotInterruption: rule("spot-interruption", "spot reclaim in two minutes: cancel and retry the node's running job", SPOT_INTERRUPTION_PATTERN),
      stateChange: rule("node-state-change", "instance stopping or gone: cancel and retry its running job", STATE_CHANGE_PATTERN),
    };
    this.registerOutputs({});
  }
}
