import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface NetworkArgs {
  /** Existing network: both set. New network: both absent. */
  vpcId?: string;
  subnetIds: string[];
  cidr: string;
  region: string;
  prefix: string;
  tags: Record<string, string>;
}

/**
 * Where build nodes run: an existing VPC and subnets from config, or a small new VPC with
 * two public subnets. Nodes get a public address for egress only (GitLab, ECR, package
 * mirrors); their security group admits nothing, so no NAT gateway is paid for idle time.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly subnetIds: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:infra:Network", name, {}, opts);
    if (args.vpcId) {
      this.vpcId = pulumi.output(args.vpcId);
      this.subnetIds = pulumi.output(args.subnetIds);
    } else {
      const created = this.create(name, args);
      this.vpcId = created.vpcId;
      this.subnetIds = created.subnetIds;
    }
    this.registerOutputs({ vpcId: this.vpcId, subnetIds: this.subnetIds });
  }

  private create(name: string, args: NetworkArgs) {
    const parent = { parent: this };
    const tags = (n: string) => ({ ...args.tags, Name: `${args.prefix}-${n}` });
    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: args.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags("vpc") }, parent);
    // The default security group of a new VPC allows traffic between its members: strip it.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, ingress: [], egress: [], tags: tags("default-closed") }, parent);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags("igw") }, parent);
    const routes = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tags("public") }, parent);
    // Zone names from the region (no provider call), one subnet per zone, /20 each.
    const subnets = ["a", "b"].map((zone, i) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-subnet-${zone}`,
        { vpcId: vpc.id, cidrBlock: subnetCidr(args.cidr, i), availabilityZone: `${args.region}${zone}`, mapPublicIpOnLaunch: true, tags: tags(`nodes-${zone}`) },
        parent,
      );
      new aws.ec2.RouteTableAssociation(`${name}-subnet-${zone}-routes`, { subnetId: subnet.id, routeTableId: routes.id }, parent);
      return subnet.id;
    });
    return { vpcId: vpc.id, subnetIds: pulumi.all(subnets) };
  }
}

/** The i-th /20 inside a /16 (or larger) block: 10.42.0.0/16 -> 10.42.0.0/20, 10.42.16.0/20. */
export function subnetCidr(cidr: string, index: number): string {
  const [base] = cidr.split("/");
  const octets = base.split(".").map(Number);
  return `${octets[0]}.${octets[1]}.${index * 16}.0/20`;
}
