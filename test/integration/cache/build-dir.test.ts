import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isCacheTag, cacheTag } from "../../../src/cache/tag.ts";
import type { BuildReport } from "../../../src/build/report.ts";
import { slipway, slipwayJson } from "../../support/cli.ts";
import { gitProject, type GitProject } from "../../support/project.ts";
import { accessLog, mark } from "../../support/registry-log.ts";
import { buildWorld, scratchDir, type BuildWorld } from "../../support/services.ts";
import { client, freshNode, imageFile, layerFiles, layersOf, type Node } from "./support.ts";

// werf's `mount: from: build_dir` on ephemeral nodes: every build runs on a fresh engine
// with an empty SLIPWAY_HOME, so only the registry can carry the cache from one to the next.

let world: BuildWorld;
const nodes: Node[] = [];
beforeAll(async () => {
  world = await buildWorld();
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.engine.stop()));
  await world?.stop();
});

const CACHE_ID = "build_dir:/var/cache/pkgs";

/** `barrier`: a host directory both racing nodes mount; each run waits there until every writer has restored. */
const config = (base: string, project = "depcache", barrier?: { dir: string; me: string; all: string[] }) => `project: ${project}
configVersion: 1
---
image: app
from: ${base}
git:
- add: /
  to: /app
  excludePaths: [slipway.yaml]
  stageDependencies:
    install: [deps.txt]
mount:
- from: build_dir
  to: /var/cache/pkgs
${barrier ? `- fromPath: ${barrier.dir}\n  to: /barrier\n` : ""}shell:
  install:
${barrier ? `  - 'touch /barrier/${barrier.me}; i=0; until ${barrier.all.map((k) => `[ -f /barrier/${k} ] && `).join("")}true || [ $i -ge 600 ]; do sleep 0.1; i=$((i+1)); done'\n` : ""}  - 'mkdir -p /app/installed && : > /downloaded.txt'
  - 'for p in $(cat /app/deps.txt); do if [ ! -f /var/cache/pkgs/$p ]; then echo "CACHEONLY-$p" > /var/cache/pkgs/$p; echo $p >> /downloaded.txt; fi; echo "installed $p" > /app/installed/$p; done'
`;

async function node(ref: string): Promise<Node> {
  const n = await freshNode({ CI_COMMIT_REF_NAME: ref, CI_DEFAULT_BRANCH: "main" });
  nodes.push(n);
  return n;
}

async function bpOnFreshNode(app: GitProject, repo: string, ref: string): Promise<{ report: BuildReport; downloaded: string[] }> {
  const n = await node(ref);
  const report = await slipwayJson(["bp", `${world.registry.host}/${repo}`, "--tag", ref.replace(/\//g, "-"), "--dir", app.dir], { env: n.env });
  // The image this bp wrote, by digest: two nodes racing on one tag would read each other's.
  const file = await imageFile(client(world.registry.host), `${repo}/app`, report.images[0].manifestDigest ?? "missing", "downloaded.txt");
  return { report, downloaded: (file ?? "").split("\n").filter(Boolean) };
}

const install = (r: BuildReport) => r.images[0].stages.find((s) => s.name === "install")!;

describe("build_dir cache in the registry", () => {
  let app: GitProject;
  const repo = "depcache";

  test("a fresh node restores the cache: the second dependency change downloads only the new package", async () => {
    app = await gitProject({ "slipway.yaml": config(world.base), "deps.txt": "a\nb\n" });
    const first = await bpOnFreshNode(app, repo, "main");
    expect(first.downloaded).toEqual(["a", "b"]);
    expect(install(first.report)).toMatchObject({ status: "built", cacheBytesRestored: 0 });
    expect(install(first.report).cacheBytesSaved).toBeGreaterThan(0);
    expect(first.report.totals.cacheBytesSaved).toBe(install(first.report).cacheBytesSaved);

    await app.write({ "deps.txt": "a\nb\nc\n" });
    await app.commit("add c");
    const second = await bpOnFreshNode(app, repo, "main");
    expect(second.downloaded).toEqual(["c"]);
    expect(install(second.report).cacheBytesRestored).toBeGreaterThan(0);
    expect(install(second.report).cacheBytesSaved).toBeGreaterThan(0);
    // The cache is no stage input: the same commit gives the same digests on any node.
    expect(second.report.images[0].stages.find((s) => s.name === "from")!.digest).toBe(first.report.images[0].stages.find((s) => s.name === "from")!.digest);
  });

  test("a build that is a cache hit downloads no cache", async () => {
    const m = await client(world.registry.host).getManifest(repo, cacheTag("depcache", CACHE_ID, "main"));
    const cacheBlobs = (JSON.parse(Buffer.from(m!.body).toString()) as { layers: Array<{ digest: string }> }).layers.map((l) => l.digest);
    const from = await mark(world.registry.logPath);
    const again = await bpOnFreshNode(app, repo, "main");
    expect(install(again.report).status).toBe("registry");
    expect(again.report.images[0].stages.every((s) => s.cacheBytesRestored === undefined)).toBe(true);
    expect(again.report.totals.cacheBytesRestored).toBeUndefined();
    // Not even looked up: no request names a cache tag, no cache blob is read.
    const requests = await accessLog(world.registry.logPath, from);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((r) => r.path.includes("cache..") || cacheBlobs.some((d) => r.path.endsWith(d)))).toEqual([]);
  });

  test("a new branch starts from the default branch's cache and saves its own", async () => {
    await app.git("checkout", "-q", "-b", "feature/d");
    await app.write({ "deps.txt": "a\nb\nc\nd\n" });
    await app.commit("add d");
    const feature = await bpOnFreshNode(app, repo, "feature/d");
    expect(feature.downloaded).toEqual(["d"]);
    const tags = await client(world.registry.host).listTags(repo);
    expect(tags.filter(isCacheTag).sort()).toEqual([cacheTag("depcache", CACHE_ID, "feature/d"), cacheTag("depcache", CACHE_ID, "main")].sort());
  });

  test("no cache content is in any pushed stage or image layer; the cache layer holds it", async () => {
    const registry = client(world.registry.host);
    const scanned: string[] = [];
    for (const repository of [repo, `${repo}/app`]) {
      for (const tag of await registry.listTags(repository)) {
        if (isCacheTag(tag)) continue;
        for (const blob of await layersOf(registry, repository, tag)) {
          for (const [path, content] of await layerFiles(blob)) {
            scanned.push(path);
            expect(content).not.toContain("CACHEONLY-");
            expect(path.startsWith("var/cache/pkgs/")).toBe(false);
          }
        }
      }
    }
    expect(scanned).toContain("app/installed/d");
    const [cacheLayer] = await layersOf(registry, repo, cacheTag("depcache", CACHE_ID, "main"));
    expect(Object.fromEntries(await layerFiles(cacheLayer))).toEqual({ a: "CACHEONLY-a\n", b: "CACHEONLY-b\n", c: "CACHEONLY-c\n" });
  });

  test("cleanup removes the cache of a deleted branch (after the grace window) and keeps the living one", async () => {
    await app.git("checkout", "-q", "main");
    await app.git("branch", "-q", "-D", "feature/d");
    const args = ["cleanup", "repo", `${world.registry.host}/${repo}`, "--dir", app.dir, "--no-kube", "--json"];
    const fresh = await slipway(args, { env: world.env });
    expect(fresh.code).toBe(0);
    const within = JSON.parse(fresh.stdout) as { tags: Array<{ tag: string; kind: string; action: string; reason: string }> };
    expect(within.tags.find((t) => t.tag === cacheTag("depcache", CACHE_ID, "feature/d"))).toMatchObject({ kind: "cache", action: "keep", reason: expect.stringContaining("grace window") });

    const res = await slipway([...args, "--grace", "0s"], { env: world.env });
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as { tags: Array<{ tag: string; kind: string; action: string }> };
    expect(report.tags.find((t) => t.tag === cacheTag("depcache", CACHE_ID, "feature/d"))).toMatchObject({ kind: "cache", action: "delete" });
    expect(report.tags.find((t) => t.tag === cacheTag("depcache", CACHE_ID, "main"))).toMatchObject({ kind: "cache", action: "keep" });
    const tags = await client(world.registry.host).listTags(repo);
    expect(tags.filter(isCacheTag)).toEqual([cacheTag("depcache", CACHE_ID, "main")]);
    // The living cache still restores completely on a fresh node.
    await app.write({ "deps.txt": "a\nb\nc\ne\n" });
    await app.commit("add e");
    expect((await bpOnFreshNode(app, repo, "main")).downloaded).toEqual(["e"]);
  });

  test("two nodes saving the same cache at once leave one complete, readable cache", async () => {
    const base = "a\nb\nc\ne\n";
    // Both runs wait for each other after their restore, so neither can restore the other's save:
    // the saves really race.
    const dir = await scratchDir("slipway-barrier-");
    const writers = ["x", "y"];
    const apps = await Promise.all(writers.map((k) => gitProject({ "slipway.yaml": config(world.base, "depcache", { dir, me: k, all: writers }), "deps.txt": `${base}${k}1\n${k}2\n${k}3\n` })));
    const [x, y] = await Promise.all(apps.map((a) => bpOnFreshNode(a, repo, "race")));
    expect((await readdir(dir)).sort()).toEqual(writers);
    expect(x.downloaded).toEqual(["x1", "x2", "x3"]);
    expect(y.downloaded).toEqual(["y1", "y2", "y3"]);
    const registry = client(world.registry.host);
    const layers = await layersOf(registry, repo, cacheTag("depcache", CACHE_ID, "race"));
    const files = Object.fromEntries((await Promise.all(layers.map(layerFiles))).flatMap((m) => [...m]));
    const names = Object.keys(files).sort();
    // Exactly one writer's whole cache: never a mix, never a part.
    expect([["a", "b", "c", "e", "x1", "x2", "x3"], ["a", "b", "c", "e", "y1", "y2", "y3"]]).toContainEqual(names);
    for (const name of names) expect(files[name]).toBe(`CACHEONLY-${name}\n`);
    const winner = names.includes("x1") ? "x" : "y";
    const loser = winner === "x" ? "y" : "x";
    // A third node restores it and downloads only what the losing writer had.
    const both = await gitProject({ "slipway.yaml": config(world.base), "deps.txt": `${base}x1\nx2\nx3\ny1\ny2\ny3\n` });
    expect((await bpOnFreshNode(both, repo, "race")).downloaded).toEqual([`${loser}1`, `${loser}2`, `${loser}3`]);
  });

  test("a mount outside the container root is a config error: exit 2, nothing published", async () => {
    const bad = await gitProject({ "slipway.yaml": config(world.base, "badmount").replace("to: /var/cache/pkgs", "to: /../var/cache"), "deps.txt": "a\n" });
    const res = await slipway(["bp", `${world.registry.host}/badmount`, "--tag", "main", "--dir", bad.dir, "--json"], { env: world.env });
    expect(res.code).toBe(2);
    expect(res.stdout + res.stderr).toMatch(/slipway\.yaml:\d+.*mount\[0\]\.to.*inside the container's root/s);
    expect(await client(world.registry.host).listTags("badmount")).toEqual([]);
  });
});
