/**
 * Registry cleanup on "ECR" (the stand-in, with the cleanup function's own IAM document):
 * `slipway cleanup repo` and the scheduled cleanup function find every REPO/<image>
 * slipway wrote (DescribeRepositories), including an image the config no longer names,
 * clean them by tag with BatchDeleteImage, and leave a foreign REPO nested under ours alone.
 */
import { ECRClient } from "@aws-sdk/client-ecr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import cleanup from "../../../functions/cleanup/index.ts";
import { lambdaCleanupEnv } from "../../../functions/cleanup/lambda.ts";
import { stageTag } from "../../../src/build/names.ts";
import type { CleanupReport } from "../../../src/cleanup/types.ts";
import { parseFunctionsConfig } from "../../../src/functions-config/config.ts";
import { createRegistry, createSdkEcrPort } from "../../../src/registry/index.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import type { Registry } from "../../../src/registry/types.ts";
import { slipway } from "../../support/cli.ts";
import { ACCOUNT, asShipped, NODE_KEY, CLEANUP_KEY, REGION } from "../../support/ecr-infra.ts";
import { startEcrStandIn, type EcrStandIn } from "../../support/ecr-standin.ts";
import { gitProject } from "../../support/project.ts";
import { testRegistry } from "../../support/services.ts";
import { publishChain, publishImage, type SyntheticStage } from "../../support/synthetic-images.ts";
import { fastRetry } from "../../unit/registry/fixtures.ts";

const HOUR = 3_600_000;
let upstream: LocalRegistry;
beforeAll(async () => {
  upstream = await testRegistry();
});
afterAll(async () => {
  await upstream?.stop();
});

/** The build node's client (its role's key), to publish what builds would have. */
async function nodeClient(ecr: EcrStandIn): Promise<Registry> {
  const client = new ECRClient({ region: REGION, endpoint: ecr.endpoint, credentials: { accessKeyId: NODE_KEY, secretAccessKey: "x" }, maxAttempts: 1 });
  const port = await createSdkEcrPort({ region: REGION, registryId: ACCOUNT, client });
  return createRegistry({ host: ecr.host, ecr: port, retry: fastRetry(), ecrHosts: new Map([[ecr.host, { registryId: ACCOUNT, region: REGION }]]) });
}

/** main alive, gone deleted; images app and worker on both; a foreign project's REPO at slipway/other. */
async function published(ecr: EcrStandIn) {
  const reg = await nodeClient(ecr);
  const [from, main] = await publishChain(reg, "slipway", [{ name: "from", key: "base" }, { name: "install", key: "main" }]);
  const [gone] = await publishChain(reg, "slipway", [{ name: "install", key: "gone" }], from);
  const created = new Date(Date.now() - 5 * HOUR);
  for (const image of ["app", "worker"]) {
    await publishImage(reg, "slipway", { image, tag: "main", last: main, created });
    await publishImage(reg, "slipway", { image, tag: "gone", last: gone, created });
  }
  const [foreign] = await publishChain(reg, "slipway/other", [{ name: "from", key: "foreign" }]);
  await publishImage(reg, "slipway/other", { image: "", tag: "gone", last: foreign, created });
  return { gone, main, foreign };
}

function expectCleaned(ecr: EcrStandIn, stages: { gone: SyntheticStage; main: SyntheticStage; foreign: SyntheticStage }) {
  const tags = (repo: string) => [...(ecr.model.repositories.get(repo)?.tags.keys() ?? [])].sort();
  expect(tags("slipway/app")).toEqual(["main"]);
  expect(tags("slipway/worker")).toEqual(["main"]);
  expect(tags("slipway")).toContain(stageTag(stages.main.digest));
  expect(tags("slipway")).not.toContain(stageTag(stages.gone.digest));
  expect(tags("slipway/other")).toEqual(["gone", stageTag(stages.foreign.digest)].sort());
}

describe("cleanup on ECR with the cleanup role infra ships", () => {
  it("slipway cleanup repo cleans REPO and every REPO/<image>, also one the config dropped", async () => {
    await using ecr = await startEcrStandIn(asShipped(), upstream);
    const stages = await published(ecr);
    // The config names app only: worker was dropped, but its tags are slipway's to clean.
    const project = await gitProject({ "slipway.yaml": "project: demo\nconfigVersion: 1\n---\nimage: app\nfrom: busybox\n" });
    const res = await slipway(["cleanup", "repo", `${ecr.host}/slipway`, "--dir", project.dir, "--no-kube", "--grace", "0s", "--json"], { env: ecr.env(CLEANUP_KEY) });
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as CleanupReport;
    const deleted = report.tags.filter((t) => t.action === "delete" && t.kind === "image").map((t) => `${t.repository}:${t.tag}`).sort();
    expect(deleted).toEqual(["slipway/app:gone", "slipway/worker:gone"]);
    expectCleaned(ecr, stages);
    expect(ecr.model.decisions.filter((d) => !d.allowed)).toEqual([]);
  }, 120_000);

  it("the scheduled cleanup function (Lambda wiring, real SDK) does the same with no config file", async () => {
    await using ecr = await startEcrStandIn(asShipped(), upstream);
    const stages = await published(ecr);
    const gitlab = (async (input: string | URL | Request) => {
      const url = new URL(String(input));
      const branches = url.pathname.endsWith("/repository/branches") ? [{ name: "main", commit: { id: "a".repeat(40), committed_date: new Date().toISOString() } }] : [];
      return Response.json(branches);
    }) as typeof fetch;
    const cfg = parseFunctionsConfig({ GITLAB_URL: "https://gitlab.test", GITLAB_TOKEN: "glpat-x", SLIPWAY_REPO: `${ecr.host}/slipway`, SLIPWAY_PROJECTS: "380" });
    const saved = { ...process.env };
    Object.assign(process.env, ecr.env(CLEANUP_KEY));
    try {
      const env = await lambdaCleanupEnv(cfg, { fetch: gitlab }, ecr.env(CLEANUP_KEY));
      const report = await cleanup.scheduled({ scheduledTime: Date.now() }, env);
      expect(report).toMatchObject({ status: "done", dryRun: false });
    } finally {
      for (const key of Object.keys(ecr.env(CLEANUP_KEY))) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
    expectCleaned(ecr, stages);
    expect(ecr.model.decisions.some((d) => d.action === "ecr:DescribeRepositories" && d.allowed)).toBe(true);
    expect(ecr.model.decisions.some((d) => d.action === "ecr:BatchDeleteImage" && d.resource.endsWith("repository/slipway/worker"))).toBe(true);
  }, 120_000);
});
