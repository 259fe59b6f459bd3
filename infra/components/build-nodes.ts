import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertLeastPrivilege } from "../policies/audit.ts";
import { arn, trustPolicy, type AppTag, type Scope } from "../policies/document.ts";
import { nodePolicy } from "../policies/node.ts";
import { arnOr } from "../naming.ts";

export interface BuildNodesArgs {
  prefix: string;
  scope: pulumi.Output<Scope>;
  vpcId: pulumi.Input<string>;
  repositoryName: string;
  nodeParameterPath: string;
  /** Pool mode only: the shared runner token parameter nodes may read. */
  poolTokenParameter?: string;
  appTag: AppTag;
  amiId: string;
  instanceTypes: string[];
  hopLimit: number;
  volumeSizeGb: number;
  rootDeviceName: string;
  /** The rendered bootstrap (plain text; encoded here). Holds no secret. */
  userData: string;
  /** Warm pool on: the bootstrap reads the slipway:pool tag from IMDS, and a node may stop itself. */
  warmPool?: boolean;
  tags: Record<string, string>;
}

/**
 * Ephemeral build nodes: a closed security group, an instance role scoped to the project's
 * repositories (the stages repository and the image repositories under its prefix), its
 * own SSM parameter and its own termination, and the launch template the launcher must
 * use. One template serves both markets: the launcher asks for spot in its RunInstances
 * request (InstanceMarketOptions) and falls back to on-demand with it.
 */
export class BuildNodes extends pulumi.ComponentResource {
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly role: aws.iam.Role;
  readonly instanceProfile: aws.iam.InstanceProfile;
  readonly template: aws.ec2.LaunchTemplate;
  readonly roleArn: pulumi.Output<string>;
  /** ARNs for the ec2:LaunchTemplate condition, built from ids so they never depend on the provider's arn output. */
  readonly launchTemplateArns: pulumi.Output<string[]>;

  constructor(name: string, args: BuildNodesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:infra:BuildNodes", name, {}, opts);
    const parent = { parent: this };
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        name: `${args.prefix}-nodes`,
        description: "slipway build nodes: no inbound traffic at all; outbound for GitLab, ECR and packages",
        vpcId: args.vpcId,
        ingress: [],
        egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"], description: "egress" }],
        tags: args.tags,
      },
      parent,
    );
    this.role = new aws.iam.Role(`${name}-role`, { name: `${args.prefix}-node`, assumeRolePolicy: JSON.stringify(trustPolicy("ec2.amazonaws.com")), tags: args.tags }, parent);
    this.roleArn = pulumi.all([this.role.arn, args.scope]).apply(([reported, scope]) => arnOr(reported, scope, "iam", `role/${args.prefix}-node`, { region: false }));
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: args.scope.apply((scope) =>
          JSON.stringify(
            assertLeastPrivilege(
              "build-node",
              nodePolicy({ scope, repositoryName: args.repositoryName, nodeParameterPath: args.nodeParameterPath, appTag: args.appTag, poolTokenParameter: args.poolTokenParameter, warmPool: args.warmPool }),
            ),
          ),
        ),
      },
      parent,
    );
    this.instanceProfile = new aws.iam.InstanceProfile(`${name}-profile`, { name: `${args.prefix}-node`, role: this.role.name, tags: args.tags }, parent);
    this.template = this.launchTemplate(`${name}-template`, args);
    this.launchTemplateArns = pulumi.all([args.scope, this.template.id]).apply(([scope, id]) => [arn(scope, "ec2", `launch-template/${id}`)]);
    this.registerOutputs({ launchTemplateId: this.template.id, roleArn: this.roleArn });
  }

  private launchTemplate(resourceName: string, args: BuildNodesArgs): aws.ec2.LaunchTemplate {
    const tags = { ...args.tags, [args.appTag.key]: args.appTag.value };
    return new aws.ec2.LaunchTemplate(
      resourceName,
      {
        name: `${args.prefix}-node`,
        description: "slipway build node; one GitLab job, then terminate",
        imageId: args.amiId,
        // The first type; the launcher may override it with the others in order.
        instanceType: args.instanceTypes[0],
        iamInstanceProfile: { arn: this.instanceProfile.arn },
        vpcSecurityGroupIds: [this.securityGroup.id],
        // poweroff from the bootstrap (or its hard lifetime) ends the instance, not just stops it.
        instanceInitiatedShutdownBehavior: "terminate",
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: args.hopLimit, instanceMetadataTags: args.warmPool ? "enabled" : "disabled" },
        blockDeviceMappings: [{ deviceName: args.rootDeviceName, ebs: { volumeSize: args.volumeSizeGb, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } }],
        userData: Buffer.from(args.userData, "utf8").toString("base64"),
        tagSpecifications: [
          { resourceType: "instance", tags },
          { resourceType: "volume", tags },
        ],
        updateDefaultVersion: true,
        tags: args.tags,
      },
      { parent: this },
    );
  }
}
