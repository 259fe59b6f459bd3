/**
 * IAM policy documents as plain data. Everything under infra/policies/ is pure (no Pulumi
 * import): builders take ARNs as strings and return documents, so they are tested directly.
 */

export type Condition = Record<string, Record<string, string | string[]>>;

export interface Statement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
  Condition?: Condition;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Statement[];
}

/** Where ARNs live: partition ("aws", "aws-cn", ...), region and account id ("*" when unknown). */
export interface Scope {
  partition: string;
  region: string;
  account: string;
}

export function policy(...statements: Statement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

export function allow(Sid: string, Action: string[], Resource: string[], Condition?: Condition): Statement {
  return Condition ? { Sid, Effect: "Allow", Action, Resource, Condition } : { Sid, Effect: "Allow", Action, Resource };
}

/**
 * An IAM policy variable such as `${ec2:SourceInstanceARN}`, resolved by AWS at request time.
 * Built by concatenation so no template literal ever interpolates it by accident.
 */
export function iamVar(key: string): string {
  return "$" + "{" + key + "}";
}

export function arn(scope: Scope, service: string, resource: string, opts: { region?: boolean } = {}): string {
  const region = opts.region === false ? "" : scope.region;
  return `arn:${scope.partition}:${service}:${region}:${scope.account}:${resource}`;
}

/** SSM parameter ARNs join the name without its leading slash: `parameter/a/b`. */
export function parameterArn(scope: Scope, name: string): string {
  return arn(scope, "ssm", `parameter/${name.replace(/^\/+/, "")}`);
}

/** The tag every slipway node carries; the key of the conditions that scope termination. */
export interface AppTag {
  key: string;
  value: string;
}

export function trustPolicy(service: string): object {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  };
}
