/**
 * The ECR stand-in set up as `pulumi up` leaves the account: the stages repository, the
 * CREATE_ON_PUSH template under its prefix, blob mounting on, and two principals whose
 * policies are exactly what infra's builders produce: the build node's role and the
 * cleanup function's role.
 */
import { functionPolicy } from "../../infra/policies/functions.ts";
import { nodePolicy } from "../../infra/policies/node.ts";
import type { IamPolicy } from "./ecr-iam.ts";
import type { EcrStandInOptions } from "./ecr-model.ts";

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";
export const NODE_KEY = "AKIANODEROLE0000000";
export const CLEANUP_KEY = "AKIACLEANUPFN000000";
const scope = { partition: "aws", region: REGION, account: ACCOUNT };
const appTag = { key: "app", value: "slipway" };

export function infraNodePolicy(repositoryName = "slipway"): IamPolicy {
  return nodePolicy({ scope, repositoryName, nodeParameterPath: "/slipway/dev/nodes", appTag }) as IamPolicy;
}

export function infraCleanupPolicy(repositoryName = "slipway"): IamPolicy {
  return functionPolicy("cleanup", {
    scope,
    appTag,
    repositoryName,
    logGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/slipway-dev-cleanup`,
    queueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:slipway-dev-jobs.fifo`,
    launchTemplateArns: [],
    nodeRoleArn: `arn:aws:iam::${ACCOUNT}:role/slipway-dev-node`,
    nodeParameterPath: "/slipway/dev/nodes",
    secretArns: { webhookSecret: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/slipway/dev/webhook-secret`, gitlabToken: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/slipway/dev/gitlab-token` },
  }) as IamPolicy;
}

/** Options of a stand-in as infra ships it; `over` changes one thing (a policy, mounting, immutability). */
export function asShipped(over: Partial<EcrStandInOptions> & { nodePolicy?: IamPolicy } = {}): EcrStandInOptions {
  const { nodePolicy: node, ...rest } = over;
  return {
    account: ACCOUNT,
    region: REGION,
    principals: {
      [NODE_KEY]: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/slipway-dev-node/i-0123456789abcdef0`, policy: node ?? infraNodePolicy() },
      [CLEANUP_KEY]: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/slipway-dev-cleanup/slipway-dev-cleanup`, policy: infraCleanupPolicy() },
    },
    repositories: ["slipway"],
    templates: [{ prefix: "slipway", appliedFor: ["CREATE_ON_PUSH"] }],
    blobMounting: true,
    ...rest,
  };
}
