import { allow, arn, policy, type PolicyDocument, type Scope, type Statement } from "./document.ts";

/**
 * The repositories one slipway project writes: the stages repository `<name>` (stages and
 * the nameless image) and `<name>/<image>` for each named image, created on first push by
 * the repository creation template (prefix `<name>`). IAM names both forms: `repository/<name>`
 * and `repository/<name>/*`; nothing outside the prefix.
 */
export function projectRepositoryArns(scope: Scope, repositoryName: string): { stages: string; images: string } {
  const stages = arn(scope, "ecr", `repository/${repositoryName}`);
  return { stages, images: `${stages}/*` };
}

/**
 * ECR authorizes DescribeRepositories without `repositoryNames` (list the registry) against
 * `repository/*`: listing cannot be narrowed to a prefix, so cleanup lists names and keeps
 * the ones under the project prefix. Read-only metadata (names, settings), never images.
 */
export function listRepositories(scope: Scope): Statement {
  return allow("ListRepositoryNames", ["ecr:DescribeRepositories"], [arn(scope, "ecr", "repository/*")]);
}

/**
 * The role ECR assumes to apply the creation template (required when the template sets
 * KMS encryption or tags): create and tag repositories under the prefix only, and use this
 * account's keys only through ECR in this region (the AWS-managed aws/ecr key's id is not
 * known up front, hence key/*).
 */
export function repositoryCreationPolicy(scope: Scope, repositoryName: string): PolicyDocument {
  const { images } = projectRepositoryArns(scope, repositoryName);
  return policy(
    allow("CreateImageRepositories", ["ecr:CreateRepository", "ecr:TagResource"], [images]),
    allow("EncryptThroughEcrOnly", ["kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey"], [arn(scope, "kms", "key/*")], {
      StringEquals: { "kms:ViaService": `ecr.${scope.region}.amazonaws.com` },
    }),
  );
}
