/**
 * `slipway bp` and `slipway cleanup repo` on "ECR": the stand-in in front of a real CNCF
 * registry, reached by the real @aws-sdk/client-ecr (AWS_ENDPOINT_URL_ECR) and a real
 * Docker engine (its pushes carry the ECR token), with the IAM documents infra ships.
 */
import { cp } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuildReport } from "../../../src/build/report.ts";
import { DockerEngine } from "../../../src/engine/docker.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { slipway } from "../../support/cli.ts";
import { withoutAction } from "../../support/ecr-iam.ts";
import { asShipped, CLEANUP_KEY, infraNodePolicy, NODE_KEY } from "../../support/ecr-infra.ts";
import type { EcrStandInOptions } from "../../support/ecr-model.ts";
import { startEcrStandIn, type EcrStandIn } from "../../support/ecr-standin.ts";
import { gitProject, type GitProject } from "../../support/project.ts";
import { scratchDir, testEngine, testRegistry, seedBase } from "../../support/services.ts";

const EXAMPLE = fileURLToPath(new URL("../../../examples/app/", import.meta.url));
let upstream: LocalRegistry;
let base: string;

beforeAll(async () => {
  upstream = await testRegistry();
  base = await seedBase(upstream.host);
}, 120_000);
afterAll(async () => {
  await upstream?.stop();
});

async function standIn(over: Partial<EcrStandInOptions> & { nodePolicy?: ReturnType<typeof infraNodePolicy> } = {}): Promise<EcrStandIn> {
  return startEcrStandIn(asShipped(over), upstream);
}

async function exampleApp(): Promise<GitProject> {
  const project = await gitProject({});
  await cp(EXAMPLE, project.dir, { recursive: true });
  await project.commit("example app");
  return project;
}

const twoImages = () => `project: shop
configVersion: 1
---
image: app
from: ${base}
shell:
  install: ["echo app > /app.txt"]
---
image: worker
from: ${base}
git:
- add: /
  to: /src
`;

/** bp as the build node: its engine, its role's access key, the stand-in as ECR. */
async function bp(ecr: EcrStandIn, project: GitProject, tag: string, engine: { socketPath: string }, extra: string[] = []) {
  const env = { ...ecr.env(NODE_KEY), DOCKER_HOST: `unix://${engine.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-"), SLIPWAY_BASE_IMAGE: base };
  return slipway(["bp", `${ecr.host}/slipway`, "--tag", tag, "--dir", project.dir, "--json", ...extra], { env });
}

function parse(res: { code: number; stdout: string; stderr: string }): BuildReport {
  if (res.code !== 0) throw new Error(`exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout) as BuildReport;
}

/** Bytes `bp` moved to write final images: totals minus what its stages moved. */
const finalPushed = (r: BuildReport) => r.totals.bytesPushed - r.images.flatMap((i) => i.stages).reduce((n, s) => n + s.bytesPushed, 0);

async function manifestOf(ecr: EcrStandIn, repository: string, tag: string) {
  const digest = ecr.model.repositories.get(repository)?.tags.get(tag);
  if (!digest) throw new Error(`${repository}:${tag} is not in the stand-in`);
  const res = await fetch(`http://${upstream.host}/v2/${ecr.model.upstreamName(repository)}/manifests/${digest}`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
  return (await res.json()) as { config: { size: number }; layers: Array<{ size: number; digest: string }> };
}

describe("bp on ECR with the infra as shipped", () => {
  it("publishes the example app's named image to slipway/app (created on push), layers mounted, not uploaded", async () => {
    await using ecr = await standIn();
    await using engine = await testEngine();
    const project = await exampleApp();
    const report = parse(await bp(ecr, project, "main", engine));
    expect(report.images.map((i) => i.ref)).toEqual([`${ecr.host}/slipway/app:main`]);
    const m = await manifestOf(ecr, "slipway/app", "main");
    expect(m.layers.length).toBeGreaterThan(1);
    // Only the image's own config crossed the wire: every layer was mounted from slipway.
    expect(finalPushed(report)).toBe(m.config.size);
    expect(ecr.model.decisions.some((d) => d.action === "ecr:CreateRepository" && d.resource.endsWith("repository/slipway/app") && d.allowed)).toBe(true);
    // The image runs from the registry (the engine pulls it with the ECR token).
    await using fresh = await testEngine();
    const out = await new DockerEngine({ socketPath: fresh.socketPath, credentials: { get: async () => ({ username: "AWS", password: ecr.model.issueToken(ecr.model.opts.principals[NODE_KEY]).password }) } });
    await out.pull(`${ecr.host}/slipway/app:main`);
    const again = parse(await bp(ecr, project, "main", engine));
    expect(again.totals.stagesBuilt).toBe(0);
  }, 300_000);

  it("a two-image project publishes both, each in its own repository, with no infra change", async () => {
    await using ecr = await standIn();
    await using engine = await testEngine();
    const project = await gitProject({ "slipway.yaml": twoImages(), "main.txt": "x\n" });
    const report = parse(await bp(ecr, project, "main", engine));
    expect(report.images.map((i) => i.ref).sort()).toEqual([`${ecr.host}/slipway/app:main`, `${ecr.host}/slipway/worker:main`]);
    for (const name of ["slipway/app", "slipway/worker"]) expect(ecr.model.repositories.get(name)?.tags.get("main")).toMatch(/^sha256:/);
  }, 300_000);

  it("with BLOB_MOUNTING off the mount falls back to an upload and bp counts those bytes", async () => {
    await using ecr = await standIn({ blobMounting: false });
    await using engine = await testEngine();
    const project = await exampleApp();
    const report = parse(await bp(ecr, project, "main", engine));
    const m = await manifestOf(ecr, "slipway/app", "main");
    expect(finalPushed(report)).toBe(m.config.size + m.layers.reduce((n, l) => n + l.size, 0));
    expect(report.totals.bytesPulled).toBeGreaterThanOrEqual(m.layers.reduce((n, l) => n + l.size, 0));
  }, 300_000);

  it("renews a token that is about to expire on every use, and the build succeeds", async () => {
    // Tokens that claim one minute: inside slipway's five-minute renewal margin, so each use renews.
    await using ecr = await standIn({ tokenLifetimeMs: 60_000 });
    await using engine = await testEngine();
    const project = await exampleApp();
    const report = parse(await bp(ecr, project, "main", engine));
    expect(report.images[0].manifestDigest).toMatch(/^sha256:/);
    expect(ecr.model.tokensIssued).toBeGreaterThan(1);
  }, 300_000);
});

describe("bp on ECR with a node role that lacks a permission", () => {
  it("the role as it was before image repositories (stages repository only): exit 1, action and repository named, nothing published", async () => {
    const old = { Version: "2012-10-17", Statement: infraNodePolicy().Statement.filter((s) => s.Sid !== "CreateImageRepositoriesOnPush").map((s) => ({ ...s, Resource: [s.Resource].flat().filter((r) => !r.endsWith("/*") || !r.includes(":repository/")) })) };
    await using ecr = await standIn({ nodePolicy: old });
    await using engine = await testEngine();
    const project = await exampleApp();
    const res = await bp(ecr, project, "main", engine);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/ecr:BatchCheckLayerAvailability/);
    expect(res.stderr).toContain("slipway/app");
    const json = JSON.parse(res.stdout) as { error: { repository: string; code: string; status: number } };
    expect(json.error).toMatchObject({ repository: "slipway/app", code: "DENIED", status: 403 });
    expect(ecr.model.repositories.has("slipway/app")).toBe(false);
  }, 300_000);

  it("without ecr:PutImage: exit 1, DENIED naming ecr:PutImage and the repository, no image tag written", async () => {
    await using ecr = await standIn({ nodePolicy: withoutAction(infraNodePolicy(), "ecr:PutImage") });
    await using engine = await testEngine();
    const project = await exampleApp();
    const res = await bp(ecr, project, "main", engine);
    expect(res.code).toBe(1);
    const json = JSON.parse(res.stdout) as { error: { repository?: string; code: string; message: string } };
    expect(json.error.code).toBe("DENIED");
    expect(json.error.message).toContain("ecr:PutImage");
    expect(json.error.repository).toBe("slipway");
    expect([...(ecr.model.repositories.get("slipway/app")?.tags.keys() ?? [])]).toEqual([]);
  }, 300_000);

  it("without ecr:BatchGetImage the JSON API's AccessDeniedException is reported with its code and the repository", async () => {
    await using ecr = await standIn({ nodePolicy: withoutAction(infraNodePolicy(), "ecr:BatchGetImage") });
    await using engine = await testEngine();
    const project = await exampleApp();
    const res = await bp(ecr, project, "main", engine);
    expect(res.code).toBe(1);
    const json = JSON.parse(res.stdout) as { error: { repository?: string; code: string; message: string } };
    expect(json.error).toMatchObject({ code: "AccessDeniedException", repository: "slipway" });
    expect(json.error.message).toContain("ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/slipway");
    expect(res.stderr).toContain("ecr:BatchGetImage");
  }, 300_000);
});
