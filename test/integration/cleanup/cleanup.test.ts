import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageTag } from "../../../src/build/names.ts";
import { ociDeleter } from "../../../src/cleanup/delete.ts";
import { policyFromValue } from "../../../src/cleanup/policy.ts";
import { cleanupRepo } from "../../../src/cleanup/repo-cleanup.ts";
import type { CleanupReport } from "../../../src/cleanup/types.ts";
import { localGitRefs } from "../../../src/gitrefs/index.ts";
import { createRegistry } from "../../../src/registry/index.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import type { Registry } from "../../../src/registry/types.ts";
import { run } from "../../../src/util/process.ts";
import { scratchDir, testEngine, testRegistry } from "../../support/services.ts";
import { publishChain, publishImage } from "../../support/synthetic-images.ts";
import { kubeconfigFor, startFakeKube, type RunningFake } from "../../unit/cleanup/fake-kube.ts";
import { allTags, assertImageWhole, cli, disposeCli, project, seed } from "./scenario.ts";

let server: LocalRegistry;
let registry: Registry;
let kube: RunningFake;
let kubeconfig: string;
let dir: string;
let n = 0;
const fresh = () => `demo${++n}`;

beforeAll(async () => {
  server = await testRegistry();
  registry = createRegistry({ host: server.host });
  dir = await project();
  kube = await startFakeKube({ pods: [] });
  kubeconfig = join(await scratchDir("slipway-kube-"), "config");
  await writeFile(kubeconfig, kubeconfigFor([{ name: "prod", url: kube.url }]));
}, 60_000);
afterAll(async () => {
  await disposeCli();
  await kube?.close();
  await server?.stop();
});

function json(res: { code: number; stdout: string; stderr: string }): CleanupReport {
  if (res.code !== 0) throw new Error(`exit ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout) as CleanupReport;
}

describe("cleanup repo against a real registry", () => {
  it("dry run prints every tag with a reason and changes nothing", async () => {
    const repo = fresh();
    await seed(registry, repo);
    const before = await allTags(registry, repo);
    const report = json(await cli(["cleanup", "repo", `${server.host}/${repo}`, "--dir", dir, "--kubeconfig", kubeconfig, "--dry-run", "--json"]));
    expect(report.tags).toHaveLength(before.length);
    expect(report.tags.every((t) => t.reason && (t.action === "keep" || t.action === "delete"))).toBe(true);
    expect(report.tags.filter((t) => t.kind === "image" && t.action === "delete").map((t) => `${t.repository}:${t.tag}`).sort())
      .toEqual([`${repo}/api:gone-1`, `${repo}/api:gone-2`, `${repo}/web:gone-1`, `${repo}/web:gone-2`]);
    expect(report.totals).toEqual({ kept: before.length - 12, deleted: 12, failed: 0 });
    expect(await allTags(registry, repo)).toEqual(before);
  }, 60_000);

  it("deletes a gone branch's images and unique stages, keeps what a cluster runs, and kept images stay whole and run", async () => {
    const repo = fresh();
    const seeded = await seed(registry, repo);
    const running = await startFakeKube({ workloads: { deployments: [{ ns: "prod", name: "api", images: [`${server.host}/${repo}/api:gone-2`] }] } });
    const config = join(await scratchDir("slipway-kube-"), "config");
    await writeFile(config, kubeconfigFor([{ name: "prod", url: running.url }]));
    const report = json(await cli(["cleanup", "repo", `${server.host}/${repo}`, "--dir", dir, "--kubeconfig", config, "--json"]));
    await running.close();
    expect(report.tags.find((t) => t.repository === `${repo}/api` && t.tag === "gone-2")?.reason).toBe(`used in Kubernetes: prod/prod/Deployment/api`);
    const tags = await allTags(registry, repo);
    expect(tags.filter((t) => !t.startsWith(`${repo}:`))).toEqual(
      ["api:feature-a", "api:gone-2", "api:main", "api:v1.0", "web:feature-a", "web:main", "web:v1.0"].map((t) => `${repo}/${t}`));
    for (const s of seeded.chains["gone-1"].api.slice(1)) expect(tags).not.toContain(`${repo}:${stageTag(s.digest)}`);
    for (const s of seeded.chains["gone-2"].web.slice(1)) expect(tags).not.toContain(`${repo}:${stageTag(s.digest)}`);
    for (const image of ["api", "web"]) for (const ref of ["main", "feature-a", "v1.0"]) await assertImageWhole(registry, repo, `${repo}/${image}`, ref);
    await assertImageWhole(registry, repo, `${repo}/api`, "gone-2");
    await using engine = await testEngine();
    const ran = await run("/usr/bin/docker", ["-H", `unix://${engine.socketPath}`, "run", "--rm", "--network", "none", `${server.host}/${repo}/api:main`, "sh", "-c", "ls /data | wc -l"]);
    expect(ran).toMatchObject({ code: 0, stdout: "1\n" });
  }, 120_000);

  it("stops before deleting anything when a configured cluster cannot be read", async () => {
    const repo = fresh();
    await seed(registry, repo);
    const before = await allTags(registry, repo);
    const broken = await startFakeKube({ failWith: 500 });
    const config = join(await scratchDir("slipway-kube-"), "config");
    await writeFile(config, kubeconfigFor([{ name: "ok", url: kube.url }, { name: "broken", url: broken.url }]));
    const res = await cli(["cleanup", "repo", `${server.host}/${repo}`, "--dir", dir, "--kubeconfig", config]);
    await broken.close();
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/context broken: cannot list/);
    expect(await allTags(registry, repo)).toEqual(before);
  }, 60_000);

  it("exits 2 with file:line on a bad keep policy, and on an unreadable kubeconfig", async () => {
    const bad = await project("cleanup:\n  keepPolicies:\n    - references: { branch: main, limit: { last: -1 } }\n");
    const res = await cli(["cleanup", "repo", `${server.host}/x`, "--dir", bad, "--no-kube"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/slipway\.yaml:5:\d+: cleanup\.keepPolicies\[0\]\.references\.limit\.last/);
    const missing = await cli(["cleanup", "repo", `${server.host}/x`, "--dir", dir, "--kubeconfig", "/nonexistent/kubeconfig"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read kubeconfig/);
    const none = await cli(["cleanup", "repo", `${server.host}/x`, "--dir", dir, "--json"], { HOME: await scratchDir() });
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout).warnings).toEqual([expect.stringContaining("no kubeconfig found")]);
  }, 60_000);

  it("prints a readable table without --json", async () => {
    const repo = fresh();
    await seed(registry, repo);
    const res = await cli(["cleanup", "repo", `${server.host}/${repo}`, "--dir", dir, "--no-kube", "--dry-run"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`would delete\\s+${repo}/api:gone-1\\s+[0-9a-f]{12}\\s+no git branch or tag "gone-1" exists`));
    expect(res.stdout).toMatch(/\d+ kept, 12 would be deleted\n$/);
  }, 60_000);

  it("a build publishing on a doomed stage during the cleanup ends with a complete image", async () => {
    const repo = fresh();
    const seeded = await seed(registry, repo);
    const racer = createRegistry({ host: server.host });
    const deleteManifest = racer.deleteManifest.bind(racer);
    let deletes = 0;
    racer.deleteManifest = async (r, digest) => {
      // Between stage deletions, a build of branch main reuses gone-1's install stage.
      if (r === repo && ++deletes === 2) {
        const [next] = await publishChain(registry, repo, [{ name: "setup", key: "race" }], seeded.chains["gone-1"].api[1]);
        await publishImage(registry, repo, { image: "api", tag: "main", last: next });
      }
      return deleteManifest(r, digest);
    };
    await cleanupRepo({
      registry: racer, deleter: ociDeleter(racer, 1), repo, images: ["api", "web"], refs: localGitRefs({ dir }),
      policy: policyFromValue(undefined), dryRun: false,
    });
    expect(deletes).toBeGreaterThan(2);
    await assertImageWhole(registry, repo, `${repo}/api`, "main");
    for (const t of ["feature-a", "v1.0"]) await assertImageWhole(registry, repo, `${repo}/web`, t);
  }, 60_000);
});
