import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { slipway, slipwayJson, statuses } from "../../support/cli.ts";
import { accessLog, blobDownloads, mark } from "../../support/registry-log.ts";
import { scratchDir, testEngine, withRegistryAndBase } from "../../support/services.ts";
import { client, layerDigests, pullAndRun } from "../distributed/support.ts";
import { contextDir } from "./support.ts";

let registry: LocalRegistry;
let base: string;

withRegistryAndBase((r, b) => ((registry = r), (base = b)));

const DOCKERFILE = `ARG BASE
FROM \${BASE}
WORKDIR /app
COPY deps.txt ./
RUN cat deps.txt > /installed.txt
COPY src/ ./src/
CMD ["cat", "/installed.txt", "/app/src/main.txt"]
`;

async function app(): Promise<string> {
  return contextDir({ Dockerfile: DOCKERFILE, "deps.txt": "dep 1\n", "src/main.txt": "main 1\n" });
}

/** One CI job on a fresh build node: `bp` alone. */
async function ciJob(dir: string, repo: string) {
  await using node = await testEngine();
  const env = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-"), CI_COMMIT_REF_NAME: "main" };
  return await slipwayJson(["bp", repo, "--tag-ci", "--dir", dir, "--build-arg", `BASE=${base}`], { env });
}

describe("Dockerfile projects through the registry", () => {
  test("stages are named by instruction; a no-change bp on a fresh node builds nothing and downloads no layer", async () => {
    const dir = await app();
    const repo = `${registry.host}/df-nochange`;
    const first = await ciJob(dir, repo);
    expect(first.images).toHaveLength(1);
    expect(first.images[0].name).toBe("");
    expect(statuses(first)).toEqual({
      "FROM#1 ${BASE}": "appended", "WORKDIR#2 /app": "appended", "COPY#3 deps.txt ./": "appended",
      "RUN#4 cat deps.txt > /installed.txt": "built", "COPY#5 src/ ./src/": "appended",
      'CMD#6 ["cat", "/installed.txt", "/app/src/main...': "appended",
    });
    expect(first.totals.containersRun).toBe(1);
    const since = await mark(registry.logPath);
    const second = await ciJob(dir, repo);
    expect(second.totals.stagesBuilt).toBe(0);
    expect(second.totals.containersRun).toBe(0);
    expect(new Set(Object.values(statuses(second)))).toEqual(new Set(["registry"]));
    const layers = await layerDigests(client(registry), ["df-nochange"]);
    expect(blobDownloads(await accessLog(registry.logPath, since)).filter((d) => layers.has(d.digest))).toEqual([]);
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}:main`)).toBe("dep 1\nmain 1\n");
  });

  test("a change to a copied file rebuilds from the COPY that copies it, runs no container, and says which file", async () => {
    const dir = await app();
    const repo = `${registry.host}/df-copychange`;
    await ciJob(dir, repo);
    await writeFile(join(dir, "src/main.txt"), "main 2\n");
    const since = await mark(registry.logPath);
    const job = await ciJob(dir, repo);
    expect(job.totals.containersRun).toBe(0);
    expect(statuses(job)).toMatchObject({ "RUN#4 cat deps.txt > /installed.txt": "registry", "COPY#5 src/ ./src/": "appended" });
    const copy = job.images[0].stages.find((s) => s.name.startsWith("COPY#5"));
    expect(copy?.reason).toBe("context files changed: src/main.txt");
    const layersBefore = await layerDigests(client(registry), ["df-nochange"]);
    expect(blobDownloads(await accessLog(registry.logPath, since)).filter((d) => layersBefore.has(d.digest))).toEqual([]);
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}:main`)).toBe("dep 1\nmain 2\n");
  });

  test("WORKDIR after the COPY that made its directory is made in the registry on an app change: no container, no layer pulled", async () => {
    const dir = await contextDir({
      Dockerfile: `ARG BASE\nFROM \${BASE}\nRUN echo base > /base.txt\nCOPY . /app\nWORKDIR /app/sub\nWORKDIR /app\nCMD ["cat", "main.txt", "sub/x.txt"]\n`,
      "main.txt": "main 1\n", "sub/x.txt": "x\n",
    });
    const repo = `${registry.host}/df-workdir`;
    await ciJob(dir, repo);
    await writeFile(join(dir, "main.txt"), "main 2\n");
    const since = await mark(registry.logPath);
    const job = await ciJob(dir, repo);
    expect(job.totals.containersRun).toBe(0);
    expect(statuses(job)).toMatchObject({ "COPY#3 . /app": "appended", "WORKDIR#4 /app/sub": "appended", "WORKDIR#5 /app": "appended" });
    const layers = await layerDigests(client(registry), ["df-workdir"]);
    expect(blobDownloads(await accessLog(registry.logPath, since)).filter((d) => layers.has(d.digest))).toEqual([]);
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}:main`)).toBe("main 2\nx\n");
  });

  test("a change to a file an earlier COPY copies reruns the RUN after it", async () => {
    const dir = await app();
    const repo = `${registry.host}/df-depchange`;
    await ciJob(dir, repo);
    await writeFile(join(dir, "deps.txt"), "dep 2\n");
    {
      // `stages pull` warms a node with the parent of the first missing stage, since a RUN follows.
      await using node = await testEngine();
      const pull = await slipwayJson(["stages", "pull", repo, "--dir", dir, "--build-arg", `BASE=${base}`], { env: { DOCKER_HOST: `unix://${node.socketPath}` } });
      expect(statuses(pull)).toMatchObject({ "WORKDIR#2 /app": "pulled", "COPY#3 deps.txt ./": "missing" });
    }
    const job = await ciJob(dir, repo);
    expect(statuses(job)).toMatchObject({ "WORKDIR#2 /app": "registry", "COPY#3 deps.txt ./": "appended", "RUN#4 cat deps.txt > /installed.txt": "built" });
    expect(job.images[0].stages.find((s) => s.name.startsWith("RUN#4"))?.reason).toBe("parent stage COPY#3 deps.txt ./ changed");
    await writeFile(join(dir, "Dockerfile"), DOCKERFILE.replace("cat deps.txt > /installed.txt", "cat deps.txt deps.txt > /installed.txt"));
    const edited = await ciJob(dir, repo);
    expect(edited.images[0].stages.find((s) => s.name.startsWith("RUN#4"))?.reason).toBe("instruction changed");
  });

  test("multi-stage through the registry: COPY --from a stage and FROM scratch; a change to the builder's input reruns only what copies it", async () => {
    const dir = await contextDir({
      "deps.txt": "dep 1\n",
      "src/main.txt": "main 1\n",
      Dockerfile: `ARG BASE
FROM \${BASE} AS build
COPY src/ /src/
RUN cat /src/main.txt > /out.txt
FROM scratch
COPY --from=\${BASE} /bin/busybox /bin/busybox
COPY --from=build /out.txt /out.txt
ENTRYPOINT ["/bin/busybox", "cat"]
CMD ["/out.txt"]
`,
    });
    const repo = `${registry.host}/df-multi`;
    const first = await ciJob(dir, repo);
    expect(first.totals.containersRun).toBe(1);
    await using node = await testEngine();
    expect(await pullAndRun(node.socketPath, `${repo}:main`)).toBe("main 1\n");
    const again = await ciJob(dir, repo);
    expect(again.totals.stagesBuilt).toBe(0);
    await writeFile(join(dir, "src/main.txt"), "main 2\n");
    const changed = await ciJob(dir, repo);
    expect(changed.totals.containersRun).toBe(1);
    expect(statuses(changed)).toMatchObject({
      "FROM#1 ${BASE} AS build": "registry", "RUN#3 cat /src/main.txt > /out.txt": "built", "FROM#4 scratch": "registry",
      "COPY#5 --from=${BASE} /bin/busybox /bin/busybox": "registry", "COPY#6 --from=build /out.txt /out.txt": "appended",
    });
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}:main`)).toBe("main 2\n");
  });

  test("a dockerfile: image in werf.yaml (context, target, args) builds beside a stapel image that imports from it", async () => {
    const dir = await contextDir({
      "api/Dockerfile.api": `ARG BASE
FROM \${BASE} AS build
ARG GREETING
RUN echo "$GREETING" > /out.txt
FROM build AS runtime
CMD ["cat", "/out.txt"]
FROM \${BASE} AS unused
RUN exit 1
`,
      "werf.yaml": `project: mixed
configVersion: 1
---
image: api
dockerfile: Dockerfile.api
context: api
target: runtime
args:
  BASE: ${base}
  GREETING: hello from args
---
image: web
from: ${base}
import:
- image: api
  add: /out.txt
  to: /srv/out.txt
  after: setup
docker:
  CMD: ["cat", "/srv/out.txt"]
`,
    });
    const repo = `${registry.host}/df-werf`;
    await using node = await testEngine();
    const dotenv = join(await scratchDir("slipway-dotenv-"), "build.env");
    const env = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-"), CI_COMMIT_REF_NAME: "main" };
    const report = await slipwayJson(["bp", repo, "--tag-ci", "--dir", dir, "--dotenv", dotenv], { env });
    expect(report.images.map((i) => i.name)).toEqual(["api", "web"]);
    expect(Object.keys(statuses(report, "api"))).toEqual(["FROM#1 ${BASE} AS build", "RUN#3 echo \"$GREETING\" > /out.txt", "FROM#4 build AS runtime", 'CMD#5 ["cat", "/out.txt"]']);
    expect(report.images[0].stages[1].source).toBe("api/Dockerfile.api:4");
    expect(await readFile(dotenv, "utf8")).toMatch(/^SLIPWAY_IMAGE_API=.*\/df-werf\/api@sha256:[0-9a-f]{64}$/m);
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}/api:main`)).toBe("hello from args\n");
    expect(await pullAndRun(other.socketPath, `${repo}/web:main`)).toBe("hello from args\n");
  });

  test("FROM indexes the base's layers only when a stage writes files into it without a container, from the engine's copy when a RUN pulled it (one download, on the cold build)", async () => {
    const baseLayers = await layerDigests(client(registry), ["base/busybox"]);
    const baseDownloads = async (dir: string, repo: string) => {
      const since = await mark(registry.logPath);
      await ciJob(dir, `${registry.host}/${repo}`);
      return blobDownloads(await accessLog(registry.logPath, since)).filter((d) => baseLayers.has(d.digest)).length;
    };
    // Only the engine's pull for the RUN.
    expect(await baseDownloads(await contextDir({ Dockerfile: `ARG BASE\nFROM \${BASE}\nRUN echo hi > /hi\n` }), "df-index-run")).toBe(1);
    // A COPY after a RUN needs the base's index: read from the layers the engine pulled for the RUN, not downloaded again.
    const after = await contextDir({ Dockerfile: `ARG BASE\nFROM \${BASE}\nRUN echo hi > /hi\nCOPY a.txt /srv/\n`, "a.txt": "a\n" });
    expect(await baseDownloads(after, "df-index-after-run")).toBe(1);
    // Likewise when a later stage is built FROM a builder stage that only runs commands, and copies.
    const copies = await contextDir({ Dockerfile: `ARG BASE\nFROM \${BASE} AS b\nRUN echo hi > /hi\nFROM b\nCOPY a.txt /srv/\n`, "a.txt": "a\n" });
    expect(await baseDownloads(copies, "df-index-copy")).toBe(1);
    // With no RUN to pull it for, the index is the only download.
    const only = await contextDir({ Dockerfile: `ARG BASE\nFROM \${BASE}\nCOPY a.txt /srv/\n`, "a.txt": "a\n" });
    expect(await baseDownloads(only, "df-index-only-copy")).toBe(1);
    // The app change after it downloads no layer: every index is in the stage manifests.
    await writeFile(join(copies, "a.txt"), "a 2\n");
    const since = await mark(registry.logPath);
    const again = await ciJob(copies, `${registry.host}/df-index-copy`);
    expect(again.totals.containersRun).toBe(0);
    const layers = await layerDigests(client(registry), ["df-index-copy"]);
    expect(blobDownloads(await accessLog(registry.logPath, since)).filter((d) => layers.has(d.digest))).toEqual([]);
  });

  test("bad Dockerfiles exit 2 naming file:line; flags for a Dockerfile next to a config file are refused", async () => {
    const env = { DOCKER_HOST: "unix:///nonexistent.sock" };
    const cases: [string, RegExp][] = [
      ["FROM busybox\nFROBNICATE x\n", /Dockerfile:2.*unknown instruction: FROBNICATE/],
      ["FROM busybox\nADD https://example.com/x /x\n", /Dockerfile:2.*ADD of a URL/],
      ["FROM busybox\nRUN --mount=type=secret,id=x,source=y true\n", /Dockerfile:2.*RUN --mount=type=secret: source is not supported/],
      ["FROM busybox\nCOPY missing.txt /x\n", /Dockerfile:2.*missing.txt: not found/],
      ["FROM --platform=linux/arm64 busybox\n", /Dockerfile:1.*only linux\/amd64/],
      ["RUN true\n", /Dockerfile:1.*before the first FROM/],
    ];
    for (const [text, message] of cases) {
      const dir = await contextDir({ Dockerfile: text });
      const res = await slipway(["plan", "--dir", dir], { env });
      expect(res.code, text).toBe(2);
      expect(res.stderr).toMatch(message);
    }
    const withConfig = await contextDir({ Dockerfile: "FROM busybox\n", "slipway.yaml": `image: x\nfrom: ${base}\n` });
    const res = await slipway(["plan", "--dir", withConfig, "--target", "x"], { env });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("--target: only for a project without a config file");
  });
});
