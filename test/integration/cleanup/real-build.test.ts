import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageTag } from "../../../src/build/names.ts";
import type { CleanupReport } from "../../../src/cleanup/types.ts";
import { createRegistry } from "../../../src/registry/index.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import type { Registry } from "../../../src/registry/types.ts";
import { run } from "../../../src/util/process.ts";
import type { BuildReport } from "../../../src/build/report.ts";
import { gitProject } from "../../support/project.ts";
import { scratchDir, testEngine, testRegistry, seedBase } from "../../support/services.ts";
import { assertImageWhole, cli, disposeCli } from "./scenario.ts";

let server: LocalRegistry;
let registry: Registry;
let base: string;

beforeAll(async () => {
  server = await testRegistry();
  registry = createRegistry({ host: server.host });
  base = await seedBase(server.host);
}, 60_000);
afterAll(async () => {
  await disposeCli();
  await server?.stop();
});

const config = () => `project: shop
configVersion: 1
---
image: web
from: ${base}
git:
- add: /
  to: /app
  excludePaths: [slipway.yaml]
  stageDependencies:
    install: [deps.txt]
shell:
  install: ["cat /app/deps.txt > /deps-installed.txt"]
docker:
  CMD: ["cat", "/deps-installed.txt"]
`;

describe("cleanup after real builds (slipway bp)", () => {
  it("removes a deleted branch's image and stages; the living branches' images stay whole and run", async () => {
    const project = await gitProject({ "slipway.yaml": config(), "deps.txt": "main\n" });
    await using node = await testEngine();
    const env = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-") };
    const repo = `${server.host}/shop`;
    const bp = async (branch: string, deps: string) => {
      if (branch !== "main") await project.git("checkout", "-q", "-b", branch, "main");
      await project.write({ "deps.txt": deps });
      await project.commit(branch);
      const res = await cli(["bp", repo, "--tag", branch, "--dir", project.dir, "--json"], env);
      if (res.code !== 0) throw new Error(`bp exited ${res.code}: ${res.stderr}`);
      const report = JSON.parse(res.stdout) as BuildReport;
      await project.git("checkout", "-q", "main");
      return report.images[0].stages.map((s) => s.digest);
    };
    const main = await bp("main", "main\n");
    const feature = await bp("feature-x", "feature\n");
    const gone = await bp("gone", "gone\n");
    await project.git("branch", "-D", "gone");

    const res = await cli(["cleanup", "repo", repo, "--dir", project.dir, "--no-kube", "--grace", "0s", "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as CleanupReport;
    expect(report.tags.filter((t) => t.action === "delete" && t.kind === "image").map((t) => `${t.repository}:${t.tag}`)).toEqual(["shop/web:gone"]);
    const tags = await registry.listTags("shop");
    const unique = gone.filter((d) => !main.includes(d) && !feature.includes(d));
    expect(unique.length).toBeGreaterThan(0);
    for (const d of unique) expect(tags).not.toContain(stageTag(d));
    for (const d of [...main, ...feature]) expect(tags).toContain(stageTag(d));
    for (const tag of ["main", "feature-x"]) await assertImageWhole(registry, "shop", "shop/web", tag);

    await using fresh = await testEngine();
    const ran = await run("/usr/bin/docker", ["-H", `unix://${fresh.socketPath}`, "run", "--rm", "--network", "none", `${repo}/web:feature-x`]);
    expect(ran).toMatchObject({ code: 0, stdout: "feature\n" });
  }, 240_000);

  it("cleans a Dockerfile-only project like any other: the deleted branch's image and stages go, the living branch's stay", async () => {
    const project = await gitProject({ Dockerfile: `FROM ${base}\nCOPY deps.txt /deps.txt\nRUN cat /deps.txt > /installed\n`, "deps.txt": "main\n" });
    await using node = await testEngine();
    const env = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-") };
    const repo = `${server.host}/dockerfile-only`;
    const bp = async (branch: string) => {
      if (branch !== "main") await project.git("checkout", "-q", "-b", branch, "main");
      await project.write({ "deps.txt": `${branch}\n` });
      await project.commit(branch);
      const res = await cli(["bp", repo, "--tag", branch, "--dir", project.dir, "--json"], env);
      if (res.code !== 0) throw new Error(`bp exited ${res.code}: ${res.stderr}`);
      await project.git("checkout", "-q", "main");
      return (JSON.parse(res.stdout) as BuildReport).images[0].stages.map((s) => s.digest);
    };
    const main = await bp("main");
    const gone = await bp("gone");
    await project.git("branch", "-D", "gone");

    const res = await cli(["cleanup", "repo", repo, "--dir", project.dir, "--no-kube", "--grace", "0s", "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as CleanupReport;
    expect(report.tags.filter((t) => t.action === "delete" && t.kind === "image").map((t) => t.tag)).toEqual(["gone"]);
    const tags = await registry.listTags("dockerfile-only");
    for (const d of gone.filter((g) => !main.includes(g))) expect(tags).not.toContain(stageTag(d));
    for (const d of main) expect(tags).toContain(stageTag(d));
    await assertImageWhole(registry, "dockerfile-only", "dockerfile-only", "main");
  }, 240_000);
});
