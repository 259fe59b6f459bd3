/**
 * Cleanup and builds at the same time, through the CLI, on a real engine and registry:
 * stages a build has just published survive `cleanup repo` before any image names them,
 * and a slow build (every registry request delayed by a proxy) that back-to-back cleanups
 * keep deleting stages under still ends with complete images whose stages are all there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageTag } from "../../../src/build/names.ts";
import type { BuildReport } from "../../../src/build/report.ts";
import type { CleanupReport } from "../../../src/cleanup/types.ts";
import { createRegistry } from "../../../src/registry/index.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import type { Registry } from "../../../src/registry/types.ts";
import { gitProject, type GitProject } from "../../support/project.ts";
import { scratchDir, testEngine, testRegistry, seedBase } from "../../support/services.ts";
import { startProxy } from "../registry/proxy.ts";
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

const config = (project: string) => `project: ${project}
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
  setup: ["ls /app > /app-files.txt"]
docker:
  CMD: ["cat", "/deps-installed.txt"]
`;

async function json<T>(args: string[], env: Record<string, string>): Promise<T> {
  const res = await cli([...args, "--json"], env);
  if (res.code !== 0) throw new Error(`slipway ${args.join(" ")} exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}

const digestsOf = (r: BuildReport) => r.images.flatMap((i) => i.stages.map((s) => s.digest));

describe("cleanup never deletes what a build in flight needs", () => {
  it("stages pushed by `stages push`, named by no image yet, all survive `cleanup repo` with the default grace", async () => {
    const project = await gitProject({ "slipway.yaml": config("fresh"), "deps.txt": "a\n", "app.txt": "1\n" });
    await project.git("checkout", "-q", "-b", "feature-new");
    await project.write({ "app.txt": "2\n" });
    await project.commit("feature");
    await using node = await testEngine();
    const env = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-") };
    const repo = `${server.host}/fresh`;
    const built = await json<BuildReport>(["build", "--dir", project.dir], env);
    await json<BuildReport>(["stages", "push", repo, "--dir", project.dir], env);
    const stages = digestsOf(built);
    expect(stages.length).toBeGreaterThanOrEqual(4);

    const report = await json<CleanupReport>(["cleanup", "repo", repo, "--dir", project.dir, "--no-kube"], {});
    for (const d of stages) {
      expect(report.tags.find((t) => t.tag === stageTag(d)), d).toMatchObject({ action: "keep", reason: expect.stringMatching(/published|needed by stage-/) });
    }
    expect(await registry.listTags("fresh")).toEqual(expect.arrayContaining(stages.map(stageTag)));
    // Without the window (documented as unsafe while builds run) the same stages go.
    const unsafe = await json<CleanupReport>(["cleanup", "repo", repo, "--dir", project.dir, "--no-kube", "--grace", "0s", "--dry-run"], {});
    expect(unsafe.tags.filter((t) => t.kind === "stage" && t.action === "delete").length).toBe(stages.length);
  }, 240_000);

  it("a slow build racing back-to-back cleanups succeeds, and every final image is complete with all its stages", async () => {
    const project = await gitProject({ "slipway.yaml": config("race"), "deps.txt": "main\n", "app.txt": "main\n" });
    const repo = `${server.host}/race`;
    const home = await scratchDir("slipway-home-");
    // The deleted branch's stages are what the racing builds reuse and cleanup deletes.
    await using seedNode = await testEngine();
    await bpOn(project, "main", { "deps.txt": "main\n" }, repo, seedNode.socketPath, home);
    await bpOn(project, "gone", { "deps.txt": "shared\n", "app.txt": "gone\n" }, repo, seedNode.socketPath, home);
    await project.git("branch", "-D", "gone");
    const goneAt = Date.now();
    const goneStages = new Set((await registry.listTags("race")).filter((t) => t.startsWith("stage-")));

    // Slow enough that a build lasts several cleanups, however fast its own work gets.
    await using proxy = await startProxy({ target: server.host, latencyMs: 100 });
    const slowRepo = `${proxy.host}/race`;
    const features = ["feature-1", "feature-2"];
    for (const f of features) {
      await project.git("branch", f, "main");
    }
    const deletedStages = new Set<string>();
    let stop = false;
    let cleanups = 0;
    // The grace window must outlast a build (docs/cleanup.md): 15 s here, and the deleted
    // branch's stages are older than that when the race starts.
    await new Promise((r) => setTimeout(r, Math.max(0, goneAt + 16_000 - Date.now())));
    const loop = (async () => {
      // Start once the first build has looked its stages up (they are "in the registry" to it;
      // the lookup HEADs or GETs their manifests).
      while (!stop && !proxy.seen.some((r) => (r.method === "HEAD" || r.method === "GET") && r.url.includes("/manifests/stage-"))) await new Promise((r) => setTimeout(r, 20));
      while (!stop) {
        const r = await json<CleanupReport>(["cleanup", "repo", repo, "--dir", project.dir, "--no-kube", "--grace", "15s"], {});
        cleanups++;
        for (const t of r.tags) if (t.kind === "stage" && t.action === "delete") deletedStages.add(t.tag);
      }
    })();
    const results: BuildReport[] = [];
    try {
      for (const f of features) {
        await using node = await testEngine();
        results.push(await bpOn(project, f, { "deps.txt": "shared\n", "app.txt": `${f}\n` }, slowRepo, node.socketPath, home));
      }
    } finally {
      stop = true;
      await loop;
    }
    expect(cleanups).toBeGreaterThanOrEqual(2);
    // The race really happened: cleanups deleted stages these builds had counted on.
    const used = new Set(results.flatMap(digestsOf).map(stageTag));
    expect([...deletedStages].filter((t) => used.has(t) && goneStages.has(t)).length).toBeGreaterThan(0);

    await json<CleanupReport>(["cleanup", "repo", repo, "--dir", project.dir, "--no-kube"], {});
    for (const f of features) await assertImageWhole(registry, "race", "race/web", f);
    for (const r of results) for (const d of digestsOf(r)) expect(await registry.headManifest("race", stageTag(d)), d).toBeDefined();
  }, 600_000);
});

/** Commits `files` on `branch` (created from main when new) and runs `bp --tag branch` there. */
async function bpOn(project: GitProject, branch: string, files: Record<string, string>, repo: string, socketPath: string, home: string): Promise<BuildReport> {
  const branches = await project.git("branch", "--list", branch);
  await project.git("checkout", "-q", ...(branches || branch === "main" ? [branch] : ["-b", branch, "main"]));
  await project.write(files);
  await project.commit(branch);
  try {
    return await json<BuildReport>(["bp", repo, "--tag", branch, "--dir", project.dir], { DOCKER_HOST: `unix://${socketPath}`, SLIPWAY_HOME: home });
  } finally {
    await project.git("checkout", "-q", "main");
  }
}
