import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertLeastPrivilege } from "../policies/audit.ts";
import { trustPolicy } from "../policies/document.ts";
import { untaggedOnlyLifecycle } from "../policies/lifecycle.ts";
import { repositoryCreationPolicy } from "../policies/registry.ts";
import { arnOr, scopeOf } from "../naming.ts";

export interface RegistryArgs {
  prefix: string;
  region: string;
  accountId?: string;
  repositoryName: string;
  untaggedExpiryDays: number;
  tags: Record<string, string>;
}

/**
 * The project's ECR registry: the stages repository `<name>` (stages and the nameless image),
 * a creation template that makes `<name>/<image>` on its first push with the very same
 * settings (so adding an image to a config needs no `pulumi up`), and blob mounting on, so
 * an image's layers are mounted from the stages repository instead of uploaded again.
 * Identical encryption on both sides is what ECR requires for a mount.
 */
export class Registry extends pulumi.ComponentResource {
  readonly repository: aws.ecr.Repository;
  readonly url: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  readonly registryId: pulumi.Output<string>;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:infra:Registry", name, {}, opts);
    const parent = { parent: this };
    const lifecyclePolicy = JSON.stringify(untaggedOnlyLifecycle(args.untaggedExpiryDays));
    // Branch and CI tags move to new images by design (PutImage retags); stage tags are
    // content digests that slipway never rewrites.
    const settings = { imageTagMutability: "MUTABLE", encryptionConfigurations: [{ encryptionType: "KMS" }] };
    this.repository = new aws.ecr.Repository(
      `${name}-repository`,
      { name: args.repositoryName, ...settings, imageScanningConfiguration: { scanOnPush: true }, tags: args.tags },
      parent,
    );
    new aws.ecr.LifecyclePolicy(`${name}-untagged-expiry`, { repository: this.repository.name, policy: lifecyclePolicy }, parent);
    this.registryId = this.repository.registryId;
    const scope = this.registryId.apply((id) => scopeOf(args.region, id, args.accountId));
    this.imageRepositories(name, args, scope, { ...settings, lifecyclePolicy });
    // Registry-wide (this account and region): OCI clients' cross-repository mounts are
    // honoured instead of answered with an upload session.
    new aws.ecr.AccountSetting(`${name}-blob-mounting`, { name: "BLOB_MOUNTING", value: "ENABLED" }, parent);
    this.url = this.repository.repositoryUrl;
    this.arn = this.repository.arn;
    this.registerOutputs({ url: this.url, arn: this.arn });
  }

  /** CREATE_ON_PUSH template for `<name>/*`, applied by a role ECR assumes (KMS and tags need one). */
  private imageRepositories(
    name: string,
    args: RegistryArgs,
    scope: pulumi.Output<import("../policies/document.ts").Scope>,
    settings: { imageTagMutability: string; encryptionConfigurations: Array<{ encryptionType: string }>; lifecyclePolicy: string },
  ): void {
    const parent = { parent: this };
    const roleName = `${args.prefix}-ecr-create`;
    const role = new aws.iam.Role(`${name}-create-role`, { name: roleName, assumeRolePolicy: JSON.stringify(trustPolicy("ecr.amazonaws.com")), tags: args.tags }, parent);
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-create-policy`,
      { role: role.id, policy: scope.apply((s) => JSON.stringify(assertLeastPrivilege("ecr-create", repositoryCreationPolicy(s, args.repositoryName)))) },
      parent,
    );
    new aws.ecr.RepositoryCreationTemplate(
      `${name}-image-template`,
      {
        prefix: args.repositoryName,
        appliedFors: ["CREATE_ON_PUSH"],
        description: `slipway image repositories ${args.repositoryName}/<image>, created on first push`,
        ...settings,
        resourceTags: args.tags,
        customRoleArn: pulumi.all([role.arn, scope]).apply(([reported, s]) => arnOr(reported, s, "iam", `role/${roleName}`, { region: false })),
      },
      { parent: this, dependsOn: [rolePolicy] },
    );
  }
}
