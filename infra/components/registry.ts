import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { untaggedOnlyLifecycle } from "../policies/lifecycle.ts";

export interface RegistryArgs {
  repositoryName: string;
  untaggedExpiryDays: number;
  tags: Record<string, string>;
}

/** The project's ECR repository: stages and images, scanned on push, encrypted with KMS. */
export class Registry extends pulumi.ComponentResource {
  readonly repository: aws.ecr.Repository;
  readonly url: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  readonly registryId: pulumi.Output<string>;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:infra:Registry", name, {}, opts);
    this.repository = new aws.ecr.Repository(
      `${name}-repository`,
      {
        name: args.repositoryName,
        // Branch and CI tags move to new images by design (PutImage retags); stage tags are
        // content digests that slipway never rewrites.
        imageTagMutability: "MUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS" }],
        tags: args.tags,
      },
      { parent: this },
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-untagged-expiry`,
      { repository: this.repository.name, policy: JSON.stringify(untaggedOnlyLifecycle(args.untaggedExpiryDays)) },
      { parent: this },
    );
    this.url = this.repository.repositoryUrl;
    this.arn = this.repository.arn;
    this.registryId = this.repository.registryId;
    this.registerOutputs({ url: this.url, arn: this.arn });
  }
}
