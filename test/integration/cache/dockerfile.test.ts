import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isCacheTag } from "../../../src/cache/tag.ts";
import { run } from "../../../src/util/process.ts";
import { slipway, slipwayJson } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { buildWorld, type BuildWorld } from "../../support/services.ts";
import { client, freshNode, imageFile, layerFiles, layersOf, type Node } from "./support.ts";

// Dockerfile `RUN --mount=type=cache` on ephemeral nodes: BuildKit's cache dies with the
// builder; slipway's lives in the registry.

let world: BuildWorld;
const nodes: Node[] = [];
beforeAll(async () => {
  world = await buildWorld();
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.engine.stop()));
  await world?.stop();
});

const dockerfile = (base: string, mount = "type=cache,target=/root/.cache/pkgs,id=pkgs,sharing=locked,mode=0700") => `FROM ${base}
COPY deps.txt /deps.txt
RUN --mount=${mount} : > /downloaded.txt; for p in $(cat /deps.txt); do if [ ! -f /root/.cache/pkgs/$p ]; then echo CACHEONLY-$p > /root/.cache/pkgs/$p; echo $p >> /downloaded.txt; fi; done
`;

async function bp(dir: string, repo: string): Promise<{ downloaded: string[]; restored?: number; saved?: number }> {
  const n = await freshNode({ CI_COMMIT_REF_NAME: "main" });
  nodes.push(n);
  const report = await slipwayJson(["bp", `${world.registry.host}/${repo}`, "--tag", "main", "--dir", dir], { env: n.env });
  const run = report.images[0].stages.find((s) => s.name.startsWith("RUN"))!;
  const file = await imageFile(client(world.registry.host), repo, "main", "downloaded.txt");
  return { downloaded: (file ?? "").split("\n").filter(Boolean), restored: run.cacheBytesRestored, saved: run.cacheBytesSaved };
}

describe("RUN --mount=type=cache in the registry", () => {
  test("a fresh node restores the cache: only the new package is downloaded, and no cache byte is in the image", async () => {
    const app = await gitProject({ Dockerfile: dockerfile(world.base), "deps.txt": "a\nb\n" });
    const first = await bp(app.dir, "dfcache");
    expect(first).toMatchObject({ downloaded: ["a", "b"], restored: 0 });
    expect(first.saved).toBeGreaterThan(0);
    await app.write({ "deps.txt": "a\nb\nc\n" });
    await app.commit("add c");
    const second = await bp(app.dir, "dfcache");
    expect(second.downloaded).toEqual(["c"]);
    expect(second.restored).toBeGreaterThan(0);

    const registry = client(world.registry.host);
    const tags = await registry.listTags("dfcache");
    const caches = tags.filter(isCacheTag);
    expect(caches).toHaveLength(1);
    const cacheFiles = await layerFiles((await layersOf(registry, "dfcache", caches[0]))[0]);
    expect([...cacheFiles.keys()].sort()).toEqual(["a", "b", "c"]);
    for (const tag of tags.filter((t) => !isCacheTag(t))) {
      for (const blob of await layersOf(registry, "dfcache", tag)) {
        for (const content of (await layerFiles(blob)).values()) expect(content).not.toContain("CACHEONLY-");
      }
    }
  });

  test("a local build (no registry) keeps the cache on the node, as before", async () => {
    const n = await freshNode();
    nodes.push(n);
    const app = await gitProject({ Dockerfile: dockerfile(world.base), "deps.txt": "a\nb\n" });
    const build = async () => {
      const report = await slipwayJson(["build", "--dir", app.dir], { env: n.env });
      expect(report.images[0].stages.every((s) => s.cacheBytesRestored === undefined && s.cacheBytesSaved === undefined)).toBe(true);
      const res = await run("docker", ["run", "--rm", "--network", "none", report.images[0].ref, "cat", "/downloaded.txt"], { env: { ...process.env, DOCKER_HOST: n.env.DOCKER_HOST } });
      expect(res.code).toBe(0);
      return res.stdout.split("\n").filter(Boolean);
    };
    expect(await build()).toEqual(["a", "b"]);
    await app.write({ "deps.txt": "a\nb\nc\n" });
    expect(await build()).toEqual(["c"]);
  });

  test("a cache over --cache-max-size is not saved: a warning, the build succeeds; a bad size is a usage error", async () => {
    const app = await gitProject({ Dockerfile: dockerfile(world.base), "deps.txt": "a\nb\n" });
    const bad = await slipway(["bp", `${world.registry.host}/dfbig`, "--tag", "main", "--dir", app.dir, "--cache-max-size", "lots", "--json"], { env: world.env });
    expect(bad.code).toBe(2);
    expect(bad.stdout + bad.stderr).toMatch(/--cache-max-size: invalid size "lots"/);
    expect(await client(world.registry.host).listTags("dfbig")).toEqual([]);

    const n = await freshNode({ CI_COMMIT_REF_NAME: "main" });
    nodes.push(n);
    const res = await slipway(["bp", `${world.registry.host}/dfbig`, "--tag", "main", "--dir", app.dir, "--cache-max-size", "10", "--json"], { env: n.env });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/warning: cache cache:pkgs: 24 B is over the cache size limit \(10 B\): not saved/);
    const report = JSON.parse(res.stdout) as import("../../../src/build/report.ts").BuildReport;
    expect(report.images[0].stages.find((s) => s.name.startsWith("RUN"))).toMatchObject({ status: "built", cacheBytesRestored: 0, cacheBytesSaved: 0 });
    expect((await client(world.registry.host).listTags("dfbig")).filter(isCacheTag)).toEqual([]);
  });

  test("a cache target that escapes the root or is the root is an error at its line: exit 2, nothing published (a relative one is under the WORKDIR)", async () => {
    for (const [repo, target] of [["dfbad1", "/"], ["dfbad2", "/../root/.cache/pkgs"]] as const) {
      const app = await gitProject({ Dockerfile: dockerfile(world.base, `type=cache,target=${target}`), "deps.txt": "a\n" });
      const res = await slipway(["bp", `${world.registry.host}/${repo}`, "--tag", "main", "--dir", app.dir, "--json"], { env: world.env });
      expect(res.code).toBe(2);
      expect(res.stdout + res.stderr).toMatch(/Dockerfile:3/);
      expect(await client(world.registry.host).listTags(repo)).toEqual([]);
    }
  });
});
