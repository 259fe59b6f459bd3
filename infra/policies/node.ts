import { allow, arn, iamVar, parameterArn, policy, type AppTag, type PolicyDocument, type Scope, type Statement } from "./document.ts";
import { projectRepositoryArns } from "./registry.ts";

/**
 * Actions a build node needs on the project's repositories: pull stages, push stages and
 * images. GetDownloadUrlForLayer on the stages repository is also what lets ECR mount its
 * layers into an image repository (blob mounting).
 */
export const ECR_PUSH_PULL = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "ecr:DescribeImages",
  "ecr:ListImages",
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
];

/**
 * The tag the launcher (src/fleet/ec2/tokens.ts) sets on each node's parameter
 * `<path>/<instance-id>/runner-token`; its value is the node's instance ARN.
 */
export const INSTANCE_ARN_TAG = "slipway:instance-arn";

export interface NodePolicyInput {
  scope: Scope;
  /** The stages repository's name (infra's `repositoryName`); images live under `<name>/`. */
  repositoryName: string;
  /** SSM path that holds one parameter per node, e.g. /slipway/prod/nodes. */
  nodeParameterPath: string;
  appTag: AppTag;
  /** Pool mode: the fleet's shared runner token, which every node may read (and none delete). */
  poolTokenParameter?: string;
  /** A warm pool is configured: a node may also stop itself (its first, preparing boot). */
  warmPool?: boolean;
}

/** ecr:GetAuthorizationToken has no resource-level permissions: it needs Resource "*". */
export function ecrLogin(): Statement {
  return allow("EcrLogin", ["ecr:GetAuthorizationToken"], ["*"]);
}

/**
 * Own parameter only. The launcher tags each node parameter with slipway:instance-arn = the node's ARN;
 * `${ec2:SourceInstanceARN}` is filled in by AWS from the credentials EC2 issued to the calling
 * instance, so a node can read or delete the parameter of no other node, even one it can name.
 */
function ownParameter(input: NodePolicyInput): Statement {
  return allow(
    "ReadAndDeleteOwnParameter",
    ["ssm:GetParameter", "ssm:DeleteParameter"],
    [parameterArn(input.scope, `${input.nodeParameterPath}/*`)],
    { StringEquals: { [`ssm:resourceTag/${INSTANCE_ARN_TAG}`]: iamVar("ec2:SourceInstanceARN") } },
  );
}

/**
 * Self-termination only: the request's source instance must be the target instance
 * (the pattern AWS uses in its own managed policies), and the target must carry our tag.
 */
function onlySelf(input: NodePolicyInput, sid: string, action: string): Statement {
  const instances = arn(input.scope, "ec2", "instance/*");
  return allow(sid, [action], [instances], {
    ArnLike: { "ec2:SourceInstanceARN": arn(input.scope, "ec2", `instance/${iamVar("ec2:InstanceID")}`) },
    StringEquals: { [`aws:ResourceTag/${input.appTag.key}`]: input.appTag.value },
  });
}

function terminateSelf(input: NodePolicyInput): Statement {
  return onlySelf(input, "TerminateSelf", "ec2:TerminateInstances");
}

/**
 * The build node's instance role: push/pull the stages repository and every image repository
 * under its prefix, create those on first push (ECR's create-on-push needs ecr:CreateRepository
 * from the pusher; the creation template sets them up), consume its token, end itself.
 */
export function nodePolicy(input: NodePolicyInput): PolicyDocument {
  const repos = projectRepositoryArns(input.scope, input.repositoryName);
  return policy(
    ecrLogin(),
    allow("PushPullProjectRepositories", ECR_PUSH_PULL, [repos.stages, repos.images]),
    allow("CreateImageRepositoriesOnPush", ["ecr:CreateRepository"], [repos.images]),
    ownParameter(input),
    ...(input.poolTokenParameter ? [allow("ReadPoolRunnerToken", ["ssm:GetParameter"], [parameterArn(input.scope, input.poolTokenParameter)])] : []),
    terminateSelf(input),
    ...(input.warmPool ? [onlySelf(input, "StopSelfForWarmPool", "ec2:StopInstances")] : []),
  );
}
