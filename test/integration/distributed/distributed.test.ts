import { describe, expect, test } from "vitest";
import { DockerEngine } from "../../../src/engine/docker.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { slipwayJson, statuses } from "../../support/cli.ts";
import { gitProject, type GitProject } from "../../support/project.ts";
import { accessLog, blobDownloads, blobUploads, mark } from "../../support/registry-log.ts";
import { scratchDir, testEngine, withRegistryAndBase } from "../../support/services.ts";
import { parseManifest } from "../../../src/image/index.ts";
import { assertComplete, client, layerDigests, pullAndRun } from "./support.ts";

let registry: LocalRegistry;
let base: string;

withRegistryAndBase((r, b) => ((registry = r), (base = b)));

function config(project: string): string {
  return `project: ${project}
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
  beforeInstall: [echo os > /os.txt]
  install: ["cat /app/deps.txt > /deps-installed.txt"]
docker:
  CMD: ["sh", "-c", "cat /deps-installed.txt /app/main.txt"]
`;
}

async function app(project: string): Promise<GitProject> {
  return gitProject({ "slipway.yaml": config(project), "deps.txt": "dep 1\n", "main.txt": "main 1\n" });
}

/** One CI job on a fresh build node: `stages pull` + `bp`, like the pipeline. */
async function ciJob(project: GitProject, repo: string, tag: string) {
  await using node = await testEngine();
  const env = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-"), CI_COMMIT_REF_NAME: tag };
  const pull = await slipwayJson(["stages", "pull", repo, "--dir", project.dir], { env });
  const bp = await slipwayJson(["bp", repo, "--with-stages", "--tag-ci", "--dir", project.dir], { env });
  const images = await new DockerEngine({ socketPath: node.socketPath }).listImages({});
  return { pull, bp, imagesOnNode: images.length };
}

describe("distributed builds through the registry", () => {
  test("a fresh node with nothing changed builds nothing, touches no engine and downloads no layer", async () => {
    const project = await app("nochange");
    const repo = `${registry.host}/nochange`;
    const first = await ciJob(project, repo, "main");
    expect(statuses(first.bp, "web")).toMatchObject({ install: "built", gitLatest: "appended", dockerInstructions: "appended" });
    {
      await using fresh = await testEngine();
      const plan = await slipwayJson(["plan", "--repo", repo, "--dir", project.dir], { env: { DOCKER_HOST: `unix://${fresh.socketPath}` } });
      expect(new Set(Object.values(statuses(plan, "web")))).toEqual(new Set(["registry"]));
    }
    const since = await mark(registry.logPath);
    const second = await ciJob(project, repo, "main");
    expect(second.bp.totals.stagesBuilt).toBe(0);
    expect(second.bp.totals.containersRun).toBe(0);
    expect(new Set(Object.values(statuses(second.bp, "web")))).toEqual(new Set(["registry"]));
    expect(second.imagesOnNode).toBe(0);
    const log = await accessLog(registry.logPath, since);
    const layers = await layerDigests(client(registry), ["nochange", "nochange/web"]);
    expect(blobDownloads(log).filter((d) => layers.has(d.digest))).toEqual([]);
    expect(second.bp.totals.bytesPulled).toBeLessThan(10_000);
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}/web:main`)).toBe("dep 1\nmain 1\n");
    // Same commit, same manifest: a no-change pipeline hands deploy jobs the same digest.
    expect(second.bp.images[0].manifestDigest).toBe(first.bp.images[0].manifestDigest);
  });

  test("an app-only change runs no container, downloads no layer and uploads only the new layer", async () => {
    const project = await app("appchange");
    const repo = `${registry.host}/appchange`;
    await ciJob(project, repo, "main");
    await project.write({ "main.txt": "main 2\n" });
    await project.commit();
    const layersBefore = await layerDigests(client(registry), ["appchange"]);
    const since = await mark(registry.logPath);
    const job = await ciJob(project, repo, "main");
    expect(job.bp.totals.containersRun).toBe(0);
    expect(statuses(job.bp, "web")).toMatchObject({ install: "registry", gitLatest: "appended", dockerInstructions: "appended" });
    const log = await accessLog(registry.logPath, since);
    expect(blobDownloads(log).filter((d) => layersBefore.has(d.digest))).toEqual([]);
    const layersAfter = await layerDigests(client(registry), ["appchange"]);
    const newLayers = [...layersAfter].filter((d) => !layersBefore.has(d));
    expect(newLayers).toHaveLength(1);
    const uploadedLayers = blobUploads(log).filter((d) => layersAfter.has(d));
    expect(uploadedLayers).toEqual(newLayers);
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}/web:main`)).toBe("dep 1\nmain 2\n");
  });

  test("a dependency change rebuilds install on top of a pull of only its parent", async () => {
    const project = await app("depchange");
    const repo = `${registry.host}/depchange`;
    await ciJob(project, repo, "main");
    await project.write({ "deps.txt": "dep 2\n" });
    await project.commit();
    const since = await mark(registry.logPath);
    const job = await ciJob(project, repo, "main");
    const s = statuses(job.bp, "web");
    // `stages pull` fetched only the stage under the first changed one...
    expect(Object.entries(statuses(job.pull, "web")).filter(([, v]) => v === "pulled")).toEqual([["beforeInstall", "pulled"]]);
    // ...so bp appends the new file layer in the registry and loads it into the engine from
    // the bytes it made, to run install on it: no layer comes back from the registry (at
    // most the parent's config, unless the explanation's reads fetched it already).
    expect(s).toMatchObject({ from: "registry", beforeInstall: "registry", gitInstall: "appended", install: "built" });
    const gitInstall = job.bp.images[0].stages.find((x) => x.name === "gitInstall")!;
    expect(gitInstall.bytesPulled).toBeLessThan(10_000);
    expect(job.bp.totals.containersRun).toBe(1);
    // bytesPushed is what crossed the wire: the compressed size of the one new layer, and
    // the stage's config when slipway uploads the layer itself (the engine's push of its
    // config is not counted).
    const install = job.bp.images[0].stages.find((x) => x.name === "install")!;
    // A fresh node explains the rebuild against the image the tag named before.
    expect(install.reason).toContain("files matching install dependencies changed: deps.txt");
    const stored = await client(registry).getManifest("depchange", `stage-${install.digest}`);
    const pushed = parseManifest(stored!.body);
    expect([pushed.layers.at(-1)!.size, pushed.layers.at(-1)!.size + pushed.config.size]).toContain(install.bytesPushed);
    // The layer was streamed to the registry while it was compressed (one PATCH), and sent once.
    const log = await accessLog(registry.logPath, since);
    const layerUploads = blobUploads(log).filter((d) => d === pushed.layers.at(-1)!.digest);
    expect(layerUploads).toHaveLength(1);
    expect(log.filter((e) => e.method === "PATCH" && e.status === 202).length).toBeGreaterThanOrEqual(1);
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}/web:main`)).toBe("dep 2\nmain 1\n");
  });

  test("the stages a command stage runs on are mounted as unpacked layers, never loaded into the engine, under either executor's result", async () => {
    const project = await app("stacked");
    const results: Record<string, { tags: string[]; output: string; containers: number }> = {};
    for (const executor of ["runc", "engine"]) {
      const repo = `${registry.host}/stacked-${executor}`;
      await using node = await testEngine();
      const env = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-"), CI_COMMIT_REF_NAME: "main", SLIPWAY_EXECUTOR: executor };
      const bp = await slipwayJson(["bp", repo, "--with-stages", "--tag-ci", "--dir", project.dir], { env });
      expect(statuses(bp, "web")).toMatchObject({ beforeInstall: "built", gitInstall: "appended", install: "built" });
      const stageTags = Object.fromEntries(bp.images[0].stages.map((st) => [`slipway-stages/stacked:${st.digest}`, st.name]));
      const onNode = (await new DockerEngine({ socketPath: node.socketPath }).listImages({})).flatMap((i) => i.repoTags);
      await using other = await testEngine();
      results[executor] = { tags: onNode.map((t) => stageTags[t]).filter(Boolean).sort(), output: await pullAndRun(other.socketPath, `${repo}/web:main`), containers: bp.totals.containersRun };
    }
    // runc (as root) runs beforeInstall on the base with `from`'s config, and install with
    // beforeInstall's taken layer and gitInstall's mounted; dockerd's start needs them as
    // images, so they are loaded.
    const loaded = ["beforeInstall", "from", "gitInstall"];
    expect(results.runc).toEqual({ tags: process.getuid?.() === 0 ? [] : loaded, output: "dep 1\nmain 1\n", containers: 2 });
    expect(results.engine).toEqual({ tags: loaded, output: "dep 1\nmain 1\n", containers: 2 });
  });

  test("two nodes racing on the same new commit both succeed and every tag is a complete image", async () => {
    const project = await app("race");
    const repo = `${registry.host}/race`;
    for (let round = 1; round <= 3; round++) {
      await project.write({ "deps.txt": `dep ${round}\n`, "main.txt": `main ${round}\n` });
      await project.commit();
      const [a, b] = await Promise.all([ciJob(project, repo, `r${round}`), ciJob(project, repo, `r${round}`)]);
      expect(a.bp.images[0].digest).toBe(b.bp.images[0].digest);
      const reg = client(registry);
      for (const tag of await reg.listTags("race")) await assertComplete(reg, "race", tag);
      for (const tag of await reg.listTags("race/web")) await assertComplete(reg, "race/web", tag);
      await using other = await testEngine();
      expect(await pullAndRun(other.socketPath, `${repo}/web:r${round}`)).toBe(`dep ${round}\nmain ${round}\n`);
    }
  });
});
