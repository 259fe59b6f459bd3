import { randomBytes } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RunnerMode } from "../config.ts";

export interface SecretsArgs {
  ssmRoot: string;
  /** Pool mode: where nodes read the shared runner token (src/fleet: <nodes path>/pool/runner-token). */
  poolTokenName: string;
  mode: RunnerMode;
  webhookSecret?: pulumi.Output<string>;
  gitlabToken?: pulumi.Output<string>;
  runnerToken?: pulumi.Output<string>;
  tags: Record<string, string>;
}

/** A secret parameter: functions get its name, and read the value at run time. */
export interface SecretRef {
  name: string;
  parameter: aws.ssm.Parameter;
}

/** Placeholder for a token the operator sets later with `aws ssm put-parameter --overwrite`. */
export const UNSET = "unset: aws ssm put-parameter --overwrite --type SecureString --name <this parameter> --value <token>";

/**
 * The webhook secret, the GitLab API token and (pool mode) the runner token, as SSM
 * SecureStrings. Never in environment variables, user data or plain outputs.
 */
export class Secrets extends pulumi.ComponentResource {
  readonly webhookSecret: SecretRef;
  readonly gitlabToken: SecretRef;
  readonly runnerToken?: SecretRef;

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:infra:Secrets", name, {}, opts);
    // Generated once when not configured: ignoreChanges keeps the first value across updates.
    const generated = randomBytes(32).toString("hex");
    this.webhookSecret = this.parameter(name, "webhook-secret", args, args.webhookSecret, generated, "GitLab webhook secret token (X-Gitlab-Token)");
    this.gitlabToken = this.parameter(name, "gitlab-token", args, args.gitlabToken, UNSET, "GitLab API token used by the functions");
    if (args.mode === "pool") {
      this.runnerToken = this.parameter(name, "runner-token", args, args.runnerToken, UNSET, "GitLab runner authentication token (glrt-...) shared by pool nodes", args.poolTokenName);
    }
    this.registerOutputs({ webhookSecretName: this.webhookSecret.name, gitlabTokenName: this.gitlabToken.name });
  }

  private parameter(
    name: string,
    key: string,
    args: SecretsArgs,
    configured: pulumi.Output<string> | undefined,
    fallback: string,
    description: string,
    paramName = `${args.ssmRoot}/${key}`,
  ): SecretRef {
    const parameter = new aws.ssm.Parameter(
      `${name}-${key}`,
      { name: paramName, type: "SecureString", value: configured ?? pulumi.secret(fallback), description, tags: args.tags },
      { parent: this, ignoreChanges: configured ? [] : ["value"], additionalSecretOutputs: ["value"] },
    );
    return { name: paramName, parameter };
  }
}
