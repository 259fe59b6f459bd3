import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { functionCode, HANDLER } from "../bundle.ts";
import { arnOr } from "../naming.ts";
import { assertLeastPrivilege } from "../policies/audit.ts";
import { trustPolicy, type Scope } from "../policies/document.ts";
import { functionPolicy, type FunctionName, type FunctionPolicyInput } from "../policies/functions.ts";

export type SharedPolicyInput = Omit<FunctionPolicyInput, "logGroupArn" | "scope">;

export interface SlipwayFunctionArgs {
  name: FunctionName;
  prefix: string;
  scope: pulumi.Output<Scope>;
  policyInput: pulumi.Output<SharedPolicyInput>;
  /** Names and settings only: secrets are passed as SSM parameter names, read at run time. */
  environment: Record<string, pulumi.Input<string>>;
  timeoutSeconds: number;
  memoryMb: number;
  logRetentionDays: number;
  tags: Record<string, string>;
}

/** One Lambda from its esbuild bundle, with its own log group and its own least-privilege role. */
export class SlipwayFunction extends pulumi.ComponentResource {
  readonly fn: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly functionName: string;

  constructor(name: string, args: SlipwayFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:infra:Function", name, {}, opts);
    const parent = { parent: this };
    this.functionName = `${args.prefix}-${args.name}`;
    const logGroupName = `/aws/lambda/${this.functionName}`;
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: logGroupName, retentionInDays: args.logRetentionDays, tags: args.tags }, parent);
    this.role = new aws.iam.Role(`${name}-role`, { name: this.functionName, assumeRolePolicy: JSON.stringify(trustPolicy("lambda.amazonaws.com")), tags: args.tags }, parent);
    const policy = pulumi.all([logGroup.arn, args.scope, args.policyInput]).apply(([reported, scope, shared]) => {
      const logGroupArn = arnOr(reported, scope, "logs", `log-group:${logGroupName}`).replace(/:\*$/, "");
      return JSON.stringify(assertLeastPrivilege(args.name, functionPolicy(args.name, { ...shared, scope, logGroupArn })));
    });
    const rolePolicy = new aws.iam.RolePolicy(`${name}-policy`, { role: this.role.id, policy }, parent);
    const code = functionCode(args.name);
    this.fn = new aws.lambda.Function(
      name,
      {
        name: this.functionName,
        role: pulumi.all([this.role.arn, args.scope]).apply(([reported, scope]) => arnOr(reported, scope, "iam", `role/${this.functionName}`, { region: false })),
        runtime: "nodejs20.x",
        architectures: ["arm64"],
        handler: HANDLER,
        code: code.archive,
        timeout: args.timeoutSeconds,
        memorySize: args.memoryMb,
        environment: { variables: args.environment },
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        tags: { ...args.tags, "slipway:bundled": String(code.bundled) },
      },
      // The role must carry its policy before the function first runs.
      { parent: this, dependsOn: [rolePolicy, logGroup] },
    );
    this.registerOutputs({ functionName: this.functionName, arn: this.fn.arn });
  }
}
