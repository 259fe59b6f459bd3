import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isCacheTag } from "../../../src/cache/tag.ts";
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

  test("a relative or escaping cache target is an error at its line: exit 2, nothing published", async () => {
    for (const [repo, target] of [["dfbad1", "cache/pkgs"], ["dfbad2", "/../root/.cache/pkgs"]] as const) {
      const app = await gitProject({ Dockerfile: dockerfile(world.base, `type=cache,target=${target}`), "deps.txt": "a\n" });
      const res = await slipway(["bp", `${world.registry.host}/${repo}`, "--tag", "main", "--dir", app.dir, "--json"], { env: world.env });
      expect(res.code).toBe(2);
      expect(res.stdout + res.stderr).toMatch(/Dockerfile:3/);
      expect(await client(world.registry.host).listTags(repo)).toEqual([]);
    }
  });
});
