import { allow, arn, parameterArn, policy, type AppTag, type PolicyDocument, type Scope, type Statement } from "./document.ts";
import { ecrLogin } from "./node.ts";
import { listRepositories, projectRepositoryArns } from "./registry.ts";

export const FUNCTION_NAMES = ["gitlab-webhook", "launcher", "reaper", "reconciler", "cleanup", "node-interruption"] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export interface FunctionPolicyInput {
  scope: Scope;
  appTag: AppTag;
  /** This function's own log group (created by infra, so no logs:CreateLogGroup is needed). */
  logGroupArn: string;
  queueArn: string;
  /** The stages repository's name; image repositories are `<name>/<image>`. */
  repositoryName: string;
  /** Every launch template a node may be launched from (on-demand and spot). */
  launchTemplateArns: string[];
  nodeRoleArn: string;
  nodeParameterPath: string;
  /** SecureString parameters the function reads by name; never their values. */
  secretArns: { webhookSecret: string; gitlabToken: string };
  /** A warm pool is configured (warmPoolSize > 0): launches may start and claim its stopped instances. */
  warmPool?: boolean;
}

function logs(i: FunctionPolicyInput): Statement {
  return allow("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [`${i.logGroupArn}:*`]);
}

function readSecrets(arns: string[]): Statement {
  return allow("ReadSecrets", ["ssm:GetParameter"], arns);
}

/** Describe calls support no resource-level permissions: listed one by one, never `Describe*`. */
function describeInstances(): Statement {
  return allow("DescribeInstances", ["ec2:DescribeInstances"], ["*"]);
}

function nodeParameters(i: FunctionPolicyInput): string {
  return parameterArn(i.scope, `${i.nodeParameterPath}/*`);
}

/**
 * RunInstances touches many resource types (instance, volume, network interface, subnet,
 * security group, image), so Resource is "*"; the ec2:LaunchTemplate condition makes every
 * one of them come from a launch of our template. CreateTags only while creating (tags on
 * create), never on existing resources.
 */
/** The tags a launch writes when it claims a warm-pool instance (src/fleet/ec2/warm-pool.ts). */
export const CLAIM_TAG_KEYS = ["slipway:job-id", "slipway:project", "slipway:expires-at", "slipway:pool", "slipway:retry-of"];

/** Warm pool: start only instances tagged as the pool's, and tag them with the claim's keys only. */
function warmPoolStatements(i: FunctionPolicyInput): Statement[] {
  const instances = [arn(i.scope, "ec2", "instance/*")];
  const pool = { StringEquals: { "aws:ResourceTag/slipway:pool": "warm", [`aws:ResourceTag/${i.appTag.key}`]: i.appTag.value } };
  return [
    allow("StartWarmPoolNodes", ["ec2:StartInstances"], instances, pool),
    allow("ClaimWarmPoolNodes", ["ec2:CreateTags"], instances, { ...pool, "ForAllValues:StringEquals": { "aws:TagKeys": CLAIM_TAG_KEYS } }),
  ];
}

function launchStatements(i: FunctionPolicyInput): Statement[] {
  const created = ["instance/*", "volume/*", "network-interface/*", "spot-instances-request/*"].map((r) => arn(i.scope, "ec2", r));
  return [
    ...(i.warmPool ? warmPoolStatements(i) : []),
    allow("RunOnlyFromOurLaunchTemplate", ["ec2:RunInstances"], ["*"], { ArnLike: { "ec2:LaunchTemplate": i.launchTemplateArns } }),
    allow("TagOnlyOnCreate", ["ec2:CreateTags"], created, { StringEquals: { "ec2:CreateAction": "RunInstances" } }),
    allow("PassNodeRoleToEc2", ["iam:PassRole"], [i.nodeRoleArn], { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } }),
    allow("WriteNodeParameters", ["ssm:PutParameter", "ssm:AddTagsToResource", "ssm:DeleteParameter"], [nodeParameters(i)]),
  ];
}

function ourInstances(i: FunctionPolicyInput) {
  return { StringEquals: { [`aws:ResourceTag/${i.appTag.key}`]: i.appTag.value } };
}

/** The tags recovery writes on an interrupted node (src/fleet/ec2/tags.ts); no other tag may change. */
export const INTERRUPTION_TAG_KEYS = ["slipway:interrupted-at", "slipway:interrupt-cause", "slipway:interrupt-outcome", "slipway:retried-job-id"];

/** Recovery notes an interruption on our instance, with exactly its own tag keys. */
function noteInterruptions(i: FunctionPolicyInput): Statement {
  return allow("NoteInterruptionsOnOurNodes", ["ec2:CreateTags"], [arn(i.scope, "ec2", "instance/*")], {
    ...ourInstances(i),
    "ForAllValues:StringEquals": { "aws:TagKeys": INTERRUPTION_TAG_KEYS },
  });
}

const builders: Record<FunctionName, (i: FunctionPolicyInput) => Statement[]> = {
  "gitlab-webhook": (i) => [
    logs(i),
    readSecrets([i.secretArns.webhookSecret]),
    allow("EnqueueJobs", ["sqs:SendMessage"], [i.queueArn]),
  ],
  launcher: (i) => [
    logs(i),
    readSecrets([i.secretArns.gitlabToken]),
    allow("ConsumeJobs", ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"], [i.queueArn]),
    describeInstances(),
    ...launchStatements(i),
  ],
  reaper: (i) => [
    logs(i),
    readSecrets([i.secretArns.gitlabToken]),
    describeInstances(),
    allow("TerminateOurNodes", ["ec2:TerminateInstances"], [arn(i.scope, "ec2", "instance/*")], ourInstances(i)),
    // The reaper marks a node that never registered with a tag, and terminates it on its next run.
    allow("MarkOurNodes", ["ec2:CreateTags"], [arn(i.scope, "ec2", "instance/*")], ourInstances(i)),
    allow("ListNodeParameters", ["ssm:GetParametersByPath"], [parameterArn(i.scope, i.nodeParameterPath)]),
    allow("DeleteNodeParameters", ["ssm:DeleteParameter", "ssm:DeleteParameters"], [nodeParameters(i)]),
    // Recovery of an interrupted job launches its retry's node.
    ...launchStatements(i),
  ],
  reconciler: (i) => [logs(i), readSecrets([i.secretArns.gitlabToken]), describeInstances(), ...launchStatements(i), noteInterruptions(i)],
  // EC2 spot warnings and state changes: note the interruption, launch the retry's node.
  "node-interruption": (i) => [logs(i), readSecrets([i.secretArns.gitlabToken]), describeInstances(), ...launchStatements(i), noteInterruptions(i)],
  cleanup: (i) => [
    logs(i),
    readSecrets([i.secretArns.gitlabToken]),
    ecrLogin(),
    listRepositories(i.scope),
    allow(
      "CleanProjectRepositories",
      ["ecr:DescribeImages", "ecr:ListImages", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchDeleteImage"],
      Object.values(projectRepositoryArns(i.scope, i.repositoryName)),
    ),
  ],
};

/** The least-privilege policy of one function. */
export function functionPolicy(name: FunctionName, input: FunctionPolicyInput): PolicyDocument {
  return policy(...builders[name](input));
}
