/**
 * slipway on AWS: `pulumi up` in infra/ creates the registry, the build-node launch templates,
 * the functions with their queue and schedules, and the secrets they read. Every setting is
 * documented in Pulumi.yaml; Pulumi.example.yaml is a complete minimal stack file.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BuildNodes } from "./components/build-nodes.ts";
import { Functions, SIZING } from "./components/functions.ts";
import { JobQueue } from "./components/job-queue.ts";
import { Network } from "./components/network.ts";
import { NodeEvents } from "./components/node-events.ts";
import { Registry } from "./components/registry.ts";
import { Schedules } from "./components/schedules.ts";
import { Secrets } from "./components/secrets.ts";
import { loadConfig } from "./config.ts";
import { gitlabInstructions } from "./gitlab.ts";
import { APP_TAG, naming, scopeOf } from "./naming.ts";
import { readBootstrap, renderBootstrap } from "./userdata.ts";

const config = loadConfig();
const names = naming(pulumi.getStack());
const region = aws.config.region ?? "us-east-1";
const appTag = APP_TAG;
const tags = { [APP_TAG.key]: APP_TAG.value, "slipway:stack": pulumi.getStack() };

const registry = new Registry("registry", { prefix: names.prefix, region, accountId: config.accountId, repositoryName: config.repositoryName, untaggedExpiryDays: config.untaggedExpiryDays, tags });
const scope = registry.registryId.apply((id) => scopeOf(region, id, config.accountId));
const secrets = new Secrets("secrets", { ssmRoot: names.ssmRoot, poolTokenName: names.poolTokenName, mode: config.mode, ...config.secrets, tags });
const network = new Network("network", { vpcId: config.vpcId, subnetIds: config.subnetIds, cidr: config.vpcCidr, region, prefix: names.prefix, tags });

const nodes = new BuildNodes("nodes", {
  prefix: names.prefix,
  scope,
  vpcId: network.vpcId,
  repositoryName: config.repositoryName,
  nodeParameterPath: names.nodeParameterPath,
  poolTokenParameter: secrets.runnerToken?.name,
  appTag,
  amiId: config.amiId,
  instanceTypes: config.instanceTypes,
  hopLimit: config.hopLimit,
  volumeSizeGb: config.volumeSizeGb,
  rootDeviceName: config.rootDeviceName,
  userData: renderBootstrap(readBootstrap(), {
    SLIPWAY_GITLAB_URL: config.gitlabUrl,
    SLIPWAY_REGION: region,
    SLIPWAY_PARAMETER_PATH: names.nodeParameterPath,
    SLIPWAY_RUNNER_MODE: config.mode,
    SLIPWAY_LIFETIME_SECONDS: config.nodeLifetimeMinutes * 60,
    SLIPWAY_WAIT_TIMEOUT: config.runnerWaitTimeoutSeconds,
  }),
  warmPool: config.warmPoolSize > 0,
  tags,
});

const jobs = new JobQueue("jobs", { prefix: names.prefix, scope, consumerTimeoutSeconds: SIZING.launcher.timeoutSeconds, maxReceiveCount: 5, tags });

const policyInput = pulumi.all([scope, jobs.arn, nodes.launchTemplateArns, nodes.roleArn]).apply(([s, queueArn, launchTemplateArns, nodeRoleArn]) => ({
  appTag,
  queueArn,
  repositoryName: config.repositoryName,
  launchTemplateArns,
  nodeRoleArn,
  nodeParameterPath: names.nodeParameterPath,
  warmPool: config.warmPoolSize > 0,
  secretArns: {
    webhookSecret: `arn:${s.partition}:ssm:${s.region}:${s.account}:parameter${secrets.webhookSecret.name}`,
    gitlabToken: `arn:${s.partition}:ssm:${s.region}:${s.account}:parameter${secrets.gitlabToken.name}`,
  },
}));

// Names as src/functions-config/config.ts reads them. The launcher asks for spot itself
// (InstanceMarketOptions) and falls back to on-demand with the same template.
const launch = {
  SLIPWAY_LAUNCH_TEMPLATE: nodes.template.id,
  SLIPWAY_SPOT: String(config.spot),
  ...(config.spotMaxPrice ? { SLIPWAY_SPOT_MAX_PRICE: config.spotMaxPrice } : {}),
  SLIPWAY_SUBNETS: network.subnetIds.apply((ids) => ids.join(",")),
  SLIPWAY_INSTANCE_TYPES: config.instanceTypes.join(","),
  SLIPWAY_WARM_POOL_SIZE: String(config.warmPoolSize),
};

const functions = new Functions("functions", {
  prefix: names.prefix,
  scope,
  policyInput,
  queueArn: jobs.arn,
  common: {
    SLIPWAY_FLEET: "ec2",
    SLIPWAY_MODE: config.mode,
    GITLAB_URL: config.gitlabUrl,
    GITLAB_TOKEN_PARAMETER: secrets.gitlabToken.name,
    SLIPWAY_RUNNER_TAGS: config.runnerTags.join(","),
    SLIPWAY_MAX_NODES: String(config.maxNodes),
    SLIPWAY_NODE_TTL: `${config.nodeLifetimeMinutes}m`,
    SLIPWAY_SSM_PATH: names.nodeParameterPath,
  },
  perFunction: {
    "gitlab-webhook": { SLIPWAY_WEBHOOK_SECRET_PARAMETER: secrets.webhookSecret.name, SLIPWAY_QUEUE_URL: jobs.queue.url },
    launcher: launch,
    reconciler: { ...launch, SLIPWAY_PROJECTS: config.projects.join(",") },
    // Recovery launches the retry's node: the launcher's settings (reaper: same path).
    reaper: launch,
    "node-interruption": launch,
    cleanup: { SLIPWAY_REPO: registry.url, SLIPWAY_PROJECTS: config.projects.join(",") },
  },
  logRetentionDays: config.logRetentionDays,
  tags,
});

new Schedules("schedules", {
  prefix: names.prefix,
  schedules: {
    reaper: { fn: functions.byName.reaper, expression: config.schedules.reaper, description: "terminate nodes past their lifetime or job; remove leftover runners and parameters" },
    reconciler: { fn: functions.byName.reconciler, expression: config.schedules.reconciler, description: "launch nodes for pending jobs whose webhook was lost" },
    cleanup: { fn: functions.byName.cleanup, expression: config.schedules.cleanup, description: "registry cleanup by policy and stage reachability" },
  },
  tags,
});

new NodeEvents("node-events", { prefix: names.prefix, fn: functions.byName["node-interruption"], tags });

export const webhookUrl = functions.webhookUrl;
// As ECR reports it; under mocks (no provider), the URL its name implies.
export const registryUrl = pulumi
  .all([registry.url, scope])
  .apply(([url, s]) => url ?? `${s.account}.dkr.ecr.${s.region}.amazonaws.com${s.partition === "aws-cn" ? ".cn" : ""}/${config.repositoryName}`);
export const launchTemplateId = nodes.template.id;
export const queueUrl = jobs.queue.url;
export const deadLetterQueueUrl = jobs.deadLetter.url;
export const webhookSecretParameter = secrets.webhookSecret.name;
export const gitlabTokenParameter = secrets.gitlabToken.name;
export const runnerTokenParameter = secrets.runnerToken?.name;
export const webhookSecret = pulumi.secret(secrets.webhookSecret.parameter.value);
export const gitlabSetup = pulumi.all([functions.webhookUrl, registryUrl]).apply(([url, repo]) =>
  gitlabInstructions({
    webhookUrl: url || "<the webhookUrl stack output>",
    registryUrl: repo,
    mode: config.mode,
    runnerTags: config.runnerTags,
    region,
    webhookSecretParameter: secrets.webhookSecret.name,
    gitlabTokenParameter: secrets.gitlabToken.name,
    runnerTokenParameter: secrets.runnerToken?.name,
  }),
);
