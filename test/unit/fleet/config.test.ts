import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.ts";
import { parseDuration, parseFunctionsConfig } from "../../../src/functions-config/config.ts";

describe("functions configuration from the environment", () => {
  it("has defaults for everything but the secrets", () => {
    const c = parseFunctionsConfig({});
    expect(c).toMatchObject({
      fleet: "local", home: ".slipway", runnerTags: ["slipway"], maxNodes: 10, nodeTtlMs: 90 * 60_000, mode: "pool", webhookSecret: "",
      ec2: { ssmPath: "/slipway/runners", region: "us-east-1", spot: true, subnets: [], instanceTypes: [] },
    });
  });

  it("reads every documented variable", () => {
    const c = parseFunctionsConfig({
      SLIPWAY_WEBHOOK_SECRET: "s", SLIPWAY_FLEET: "ec2", SLIPWAY_HOME: "/var/slipway", GITLAB_URL: "https://gl.example", GITLAB_TOKEN: "t",
      SLIPWAY_RUNNER_TAGS: "slipway, docker ,", SLIPWAY_MAX_NODES: "3", SLIPWAY_NODE_TTL: "2h", SLIPWAY_MODE: "per-job", SLIPWAY_PROJECTS: "380,12",
      SLIPWAY_LAUNCH_TEMPLATE: "lt-1", SLIPWAY_SUBNETS: "subnet-a,subnet-b", SLIPWAY_INSTANCE_TYPES: "m7i.large,m6i.large", SLIPWAY_SSM_PATH: "/x/y",
      AWS_REGION: "eu-west-1", SLIPWAY_SPOT: "false", SLIPWAY_SPOT_MAX_PRICE: "0.05", SLIPWAY_QUEUE_URL: "https://sqs/q.fifo", SLIPWAY_JOB_COMMAND: "make", SLIPWAY_STORAGE_DRIVER: "vfs",
    });
    expect(c).toMatchObject({
      webhookSecret: "s", fleet: "ec2", home: "/var/slipway", gitlabUrl: "https://gl.example", gitlabToken: "t", runnerTags: ["slipway", "docker"],
      maxNodes: 3, nodeTtlMs: 7_200_000, mode: "per-job", projects: [380, 12], queueUrl: "https://sqs/q.fifo",
      ec2: { launchTemplate: "lt-1", subnets: ["subnet-a", "subnet-b"], instanceTypes: ["m7i.large", "m6i.large"], ssmPath: "/x/y", region: "eu-west-1", spot: false, spotMaxPrice: "0.05" },
      local: { jobCommand: "make", storageDriver: "vfs" },
    });
  });

  it("names every bad variable in one UsageError", () => {
    const err = (() => {
      try {
        parseFunctionsConfig({ SLIPWAY_FLEET: "k8s", SLIPWAY_MAX_NODES: "0", SLIPWAY_NODE_TTL: "soon", SLIPWAY_SPOT_MAX_PRICE: "cheap", SLIPWAY_PROJECTS: "a,1", SLIPWAY_RUNNER_TAGS: " , " });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    for (const name of ["SLIPWAY_FLEET", "SLIPWAY_MAX_NODES", "SLIPWAY_NODE_TTL", "SLIPWAY_SPOT_MAX_PRICE", "SLIPWAY_PROJECTS", "SLIPWAY_RUNNER_TAGS"]) expect((err as Error).message).toContain(name);
  });

  it("requires a launch template for the ec2 fleet", () => {
    expect(() => parseFunctionsConfig({ SLIPWAY_FLEET: "ec2" })).toThrow(/SLIPWAY_LAUNCH_TEMPLATE/);
  });

  it("parses durations with units", () => {
    expect([parseDuration("90m"), parseDuration("30s"), parseDuration("1500ms"), parseDuration("2h"), parseDuration("45"), parseDuration("1d")]).toEqual([
      5_400_000, 30_000, 1500, 7_200_000, 45_000, 86_400_000,
    ]);
    expect(parseDuration("ten minutes")).toBeUndefined();
  });
});
