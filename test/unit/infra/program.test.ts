/**
 * The whole Pulumi program under mocks, configured with only infra/Pulumi.example.yaml.
 * setMocks runs before the program is imported; every registered resource is recorded.
 */
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { auditPolicy } from "../../../infra/policies/audit.ts";
import type { PolicyDocument } from "../../../infra/policies/document.ts";

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

const ACCOUNT = "123456789012";
const resources: Recorded[] = [];
let outputs: Record<string, unknown> = {};

function exampleConfig(): Record<string, string> {
  const doc = parse(readFileSync(new URL("../../../infra/Pulumi.example.yaml", import.meta.url), "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** Resolves an Output (or plain value) to its value. */
function value<T>(o: pulumi.Input<T> | undefined): Promise<T | undefined> {
  return new Promise((resolve) => (pulumi.Output.isInstance(o) ? (o as pulumi.Output<T>).apply((v) => resolve(v)) : resolve(o as T)));
}

beforeAll(async () => {
  process.env.PULUMI_CONFIG = JSON.stringify(exampleConfig());
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        // Only what a provider would invent: ids, and the account id ECR reports.
        const extra = args.type === "aws:ecr/repository:Repository" ? { registryId: ACCOUNT } : {};
        return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } };
      },
      call: (args) => args.inputs,
    },
    "slipway",
    "dev",
  );
  const program = (await import("../../../infra/index.ts")) as Record<string, unknown>;
  for (const [k, v] of Object.entries(program)) outputs[k] = await value(v as pulumi.Input<unknown>);
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}, 60_000);

const ofType = (type: string) => resources.filter((r) => r.type === type);
const one = (type: string, name: string) => {
  const found = resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}; have ${resources.map((r) => `${r.type}:${r.name}`).join(", ")}`);
  return found;
};
const policies = () => ofType("aws:iam/rolePolicy:RolePolicy").map((r) => ({ name: r.name, doc: JSON.parse(r.inputs.policy) as PolicyDocument }));

describe("the program with the example config", () => {
  it("declares one component per noun", () => {
    for (const t of ["Registry", "Secrets", "Network", "BuildNodes", "JobQueue", "Functions", "Schedules", "NodeEvents"]) {
      expect(ofType(`slipway:infra:${t}`), t).toHaveLength(1);
    }
    expect(ofType("slipway:infra:Function")).toHaveLength(6);
  });

  it("creates a scanned, encrypted repository that expires untagged images only", () => {
    const repo = ofType("aws:ecr/repository:Repository")[0];
    expect(repo.inputs.imageScanningConfiguration).toEqual({ scanOnPush: true });
    expect(repo.inputs.encryptionConfigurations[0].encryptionType).toBe("KMS");
    const lifecycle = JSON.parse(ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy")[0].inputs.policy);
    expect(lifecycle.rules.map((r: any) => r.selection.tagStatus)).toEqual(["untagged"]);
    expect(outputs.registryUrl).toBeDefined();
  });

  it("image repositories slipway/<image> are created on first push with the stages repository's settings; blob mounting on", () => {
    const repo = ofType("aws:ecr/repository:Repository")[0];
    const [template] = ofType("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate");
    expect(template.inputs.prefix).toBe("slipway");
    expect(template.inputs.appliedFors).toEqual(["CREATE_ON_PUSH"]);
    // ECR mounts blobs only between repositories with identical encryption.
    expect(template.inputs.encryptionConfigurations).toEqual(repo.inputs.encryptionConfigurations);
    expect(template.inputs.imageTagMutability).toBe(repo.inputs.imageTagMutability);
    expect(JSON.parse(template.inputs.lifecyclePolicy)).toEqual(JSON.parse(ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy")[0].inputs.policy));
    expect(template.inputs.customRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/slipway-dev-ecr-create`);
    const [setting] = ofType("aws:ecr/accountSetting:AccountSetting");
    expect(setting.inputs).toMatchObject({ name: "BLOB_MOUNTING", value: "ENABLED" });
  });

  it("closes the network: a new VPC, a node security group without inbound rules", () => {
    expect(ofType("aws:ec2/vpc:Vpc")).toHaveLength(1);
    expect(ofType("aws:ec2/subnet:Subnet")).toHaveLength(2);
    const sg = ofType("aws:ec2/securityGroup:SecurityGroup")[0];
    expect(sg.inputs.ingress ?? []).toEqual([]);
    expect(ofType("aws:ec2/securityGroupRule:SecurityGroupRule").filter((r) => r.inputs.type === "ingress")).toEqual([]);
  });

  it("launch templates: IMDSv2 required, hop limit 1, terminate on shutdown, AMI from config, bootstrap without secrets", () => {
    const templates = ofType("aws:ec2/launchTemplate:LaunchTemplate");
    expect(templates.map((t) => t.name)).toEqual(["nodes-template"]);
    for (const t of templates) {
      expect(t.inputs.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" });
      expect(t.inputs.instanceInitiatedShutdownBehavior).toBe("terminate");
      expect(t.inputs.imageId).toBe("ami-0123456789abcdef0");
      expect(t.inputs.instanceType).toBe("m6i.large");
      const script = Buffer.from(t.inputs.userData, "base64").toString("utf8");
      expect(script).toContain("SLIPWAY_GITLAB_URL='https://gitlab.example.com'");
      expect(script).toContain("gitlab-runner run-single");
      expect(script).toContain("SLIPWAY_RUNNER_MODE='per-job'");
      expect(script).not.toMatch(/@@SLIPWAY_SETTINGS@@|TOKEN=|SECRET=|glrt-|glpat-/);
    }
    // The launcher asks for spot in its request; the template is market-neutral.
    expect(one("aws:ec2/launchTemplate:LaunchTemplate", "nodes-template").inputs.instanceMarketOptions).toBeUndefined();
    expect(ofType("aws:iam/instanceProfile:InstanceProfile")).toHaveLength(1);
  });

  it("every role policy passes the least-privilege audit", () => {
    const all = policies();
    expect(all).toHaveLength(8);
    for (const p of all) expect(auditPolicy(p.doc), p.name).toEqual([]);
  });

  it("launches only from our launch templates and terminates only tagged or own instances", () => {
    const launcher = policies().find((p) => p.name === "functions-launcher-policy")!.doc;
    const run = launcher.Statement.find((s) => s.Action.includes("ec2:RunInstances"))!;
    expect(run.Condition).toEqual({
      ArnLike: { "ec2:LaunchTemplate": [`arn:aws:ec2:us-east-1:${ACCOUNT}:launch-template/nodes-template-id`] },
    });
    const reaper = policies().find((p) => p.name === "functions-reaper-policy")!.doc;
    expect(reaper.Statement.find((s) => s.Action.includes("ec2:TerminateInstances"))!.Condition).toEqual({ StringEquals: { "aws:ResourceTag/app": "slipway" } });
    const node = policies().find((p) => p.name === "nodes-policy")!.doc;
    expect(node.Statement.find((s) => s.Action.includes("ecr:PutImage"))!.Resource).toEqual([`arn:aws:ecr:us-east-1:${ACCOUNT}:repository/slipway`, `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/slipway/*`]);
  });

  it("six functions, each with its own role, bundled code and no secret in its environment", () => {
    const fns = ofType("aws:lambda/function:Function");
    expect(fns.map((f) => f.inputs.name).sort()).toEqual(["cleanup", "gitlab-webhook", "launcher", "node-interruption", "reaper", "reconciler"].map((n) => `slipway-dev-${n}`));
    expect(new Set(fns.map((f) => f.inputs.role)).size).toBe(6);
    for (const f of fns) {
      expect(f.inputs.code).toBeDefined();
      for (const [key, val] of Object.entries(f.inputs.environment.variables as Record<string, string>)) {
        if (/TOKEN|SECRET/.test(key)) expect(key, `${f.name}: ${key}`).toMatch(/_PARAMETER$/);
        expect(String(val)).not.toMatch(/^(glrt|glpat)-/);
      }
    }
    const webhook = fns.find((f) => f.name === "functions-gitlab-webhook")!;
    expect(webhook.inputs.environment.variables.SLIPWAY_WEBHOOK_SECRET_PARAMETER).toBe("/slipway/dev/webhook-secret");
  });

  it("secrets live in SSM as SecureStrings", () => {
    const params = ofType("aws:ssm/parameter:Parameter");
    // per-job mode (the example): no shared runner token exists at all.
    expect(params.map((p) => p.inputs.name).sort()).toEqual(["/slipway/dev/gitlab-token", "/slipway/dev/webhook-secret"]);
    for (const p of params) expect(p.inputs.type).toBe("SecureString");
  });

  it("webhook URL, queue with dead-letter queue, and a batch-failure-aware mapping to the launcher", () => {
    expect(one("aws:lambda/functionUrl:FunctionUrl", "functions-webhook-url").inputs.authorizationType).toBe("NONE");
    const queue = one("aws:sqs/queue:Queue", "jobs-queue");
    const redrive = JSON.parse(queue.inputs.redrivePolicy);
    expect(redrive).toEqual({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:slipway-dev-jobs-dlq.fifo`, maxReceiveCount: 5 });
    expect(queue.inputs.fifoQueue).toBe(true);
    expect(one("aws:sqs/queue:Queue", "jobs-dlq").inputs.fifoQueue).toBe(true);
    expect(queue.inputs.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * 60);
    const mapping = ofType("aws:lambda/eventSourceMapping:EventSourceMapping")[0];
    expect(mapping.inputs.functionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    expect(mapping.inputs.eventSourceArn).toBe(`arn:aws:sqs:us-east-1:${ACCOUNT}:slipway-dev-jobs.fifo`);
  });

  it("schedules reaper, reconciler and cleanup", () => {
    const rules = ofType("aws:cloudwatch/eventRule:EventRule").filter((r) => r.inputs.scheduleExpression);
    expect(rules.map((r) => r.inputs.name).sort()).toEqual(["slipway-dev-cleanup", "slipway-dev-reaper", "slipway-dev-reconciler"]);
    for (const r of rules) expect(r.inputs.scheduleExpression).toMatch(/^(rate|cron)\(/);
  });

  it("routes EC2 spot warnings and going states to node-interruption, which alone they may invoke", () => {
    const rules = ofType("aws:cloudwatch/eventRule:EventRule").filter((r) => r.inputs.eventPattern);
    expect(rules.map((r) => r.inputs.name).sort()).toEqual(["slipway-dev-node-state-change", "slipway-dev-spot-interruption"]);
    const patterns = rules.map((r) => JSON.parse(r.inputs.eventPattern));
    expect(patterns.flatMap((p) => p["detail-type"]).sort()).toEqual(["EC2 Instance State-change Notification", "EC2 Spot Instance Interruption Warning"]);
    expect(patterns.find((p) => p.detail)?.detail.state).toEqual(["stopping", "stopped", "shutting-down", "terminated"]);
    const targets = ofType("aws:cloudwatch/eventTarget:EventTarget");
    expect(targets).toHaveLength(5);
    const invokes = ofType("aws:lambda/permission:Permission").filter((p) => p.inputs.principal === "events.amazonaws.com");
    expect(invokes).toHaveLength(5);
    const fromNodeEvents = invokes.filter((p) => /node-events/.test(p.name));
    expect(fromNodeEvents.map((p) => p.inputs.function)).toEqual(["slipway-dev-node-interruption", "slipway-dev-node-interruption"]);
    const policy = policies().find((p) => p.name === "functions-node-interruption-policy")!.doc;
    const note = policy.Statement.find((st) => st.Sid === "NoteInterruptionsOnOurNodes")!;
    expect(note.Condition).toEqual({
      StringEquals: { "aws:ResourceTag/app": "slipway" },
      "ForAllValues:StringEquals": { "aws:TagKeys": ["slipway:interrupted-at", "slipway:interrupt-cause", "slipway:interrupt-outcome", "slipway:retried-job-id"] },
    });
    expect(policy.Statement.flatMap((st) => st.Action)).not.toContain("ec2:TerminateInstances");
  });

  it("outputs what to paste into GitLab", () => {
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(["webhookUrl", "registryUrl", "gitlabSetup"]));
    expect(String(outputs.gitlabSetup)).toMatch(/Webhooks[\s\S]*Job events[\s\S]*per-job[\s\S]*gitlab-token[\s\S]*SLIPWAY_REPO/);
  });
});

describe("alternatives the example config does not take", () => {
  it("an existing VPC and subnets are used as they are: no network is created", async () => {
    const { Network } = await import("../../../infra/components/network.ts");
    const before = resources.length;
    const net = new Network("existing", { vpcId: "vpc-0aa", subnetIds: ["subnet-1", "subnet-2"], cidr: "10.0.0.0/16", region: "us-east-1", prefix: "x", tags: {} });
    expect(await value(net.subnetIds)).toEqual(["subnet-1", "subnet-2"]);
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    expect(resources.slice(before).map((r) => r.type)).toEqual(["slipway:infra:Network"]);
  });

  it("refuses a VPC without subnets and an unknown mode, naming the key", async () => {
    const { loadConfig } = await import("../../../infra/config.ts");
    const set = (k: string, v: string) => pulumi.runtime.setConfig(`slipway:${k}`, v);
    set("vpcId", "vpc-0aa");
    expect(() => loadConfig()).toThrow(/slipway:vpcId and slipway:subnetIds/);
    set("subnetIds", "subnet-1");
    set("mode", "shared");
    expect(() => loadConfig()).toThrow(/slipway:mode/);
    set("mode", "pool");
    expect(loadConfig()).toMatchObject({ vpcId: "vpc-0aa", subnetIds: ["subnet-1"], mode: "pool" });
  });
});
