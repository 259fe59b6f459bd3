/**
 * RUN --mount=type=bind|tmpfs on a real engine and registry: the bound context files
 * are there for the run (read-only unless rw, writes thrown away), a tmpfs is empty
 * and writable, and nothing of either stays in the image or in the context directory.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { slipwayJson } from "../../support/cli.ts";
import { scratchDir, testEngine, withRegistryAndBase } from "../../support/services.ts";
import { pullAndRun } from "../distributed/support.ts";
import { contextDir, fileTree } from "./support.ts";

let registry: LocalRegistry;
let base: string;

withRegistryAndBase((r, b) => ((registry = r), (base = b)));

const DOCKERFILE = `ARG BASE
FROM \${BASE}
RUN --mount=type=bind,source=src,target=/src --mount=type=tmpfs,target=/scratch \\
    cat /src/a.txt > /out.txt && ls -A /scratch >> /out.txt && echo junk > /scratch/junk && \\
    (touch /src/new 2>/dev/null && echo writable >> /out.txt || echo read-only >> /out.txt)
RUN --mount=type=bind,source=src/a.txt,target=/a.txt,rw echo changed > /a.txt && cat /a.txt >> /out.txt
RUN --mount=target=/ctx ls -A /ctx /ctx/src >> /out.txt
USER 1000
RUN --mount=type=tmpfs,target=/t echo as-user > /t/x && cat /t/x >> /tmp/user.txt
CMD ["cat", "/out.txt", "/tmp/user.txt"]
`;

describe("RUN --mount", () => {
  test("bind and tmpfs mounts are there for the run only; rw writes are discarded; the context is untouched", async () => {
    const dir = await contextDir({ Dockerfile: DOCKERFILE, ".dockerignore": "secret.env\n", "src/a.txt": "from context\n", "secret.env": "TOKEN=x\n" });
    const repo = `${registry.host}/df-mounts`;
    await using node = await testEngine();
    const env = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-") };
    const report = await slipwayJson(["bp", repo, "--tag", "v1", "--dir", dir, "--build-arg", `BASE=${base}`], { env });
    expect(report.totals.containersRun).toBe(4);
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}:v1`)).toBe(
      "from context\nread-only\nchanged\n/ctx:\n.dockerignore\nDockerfile\nsrc\n\n/ctx/src:\na.txt\nas-user\n",
    );
    expect(await readFile(join(dir, "src/a.txt"), "utf8")).toBe("from context\n");
    const tree = await fileTree(other.socketPath, `${repo}:v1`);
    expect(Object.keys(tree).filter((p) => /^(src|scratch|ctx|t|a\.txt)\//.test(p))).toEqual([]);
  });

  test("a cache mount keeps its files between builds, never in the image; a node with an empty SLIPWAY_HOME restores it from the registry", async () => {
    const dockerfile = `ARG BASE\nFROM \${BASE}\nARG RUN_NO\nRUN --mount=type=cache,id=counter,target=/cache,sharing=locked \\\n    (cat /cache/runs 2>/dev/null || true) > /seen.txt && echo "$RUN_NO" >> /cache/runs\nCMD ["cat", "/seen.txt"]\n`;
    const dir = await contextDir({ Dockerfile: dockerfile });
    const repo = `${registry.host}/df-cache`;
    await using node = await testEngine();
    const home = await scratchDir("slipway-home-");
    const bp = async (tag: string, slipwayHome: string) => {
      const env = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: slipwayHome };
      return slipwayJson(["bp", repo, "--tag", tag, "--dir", dir, "--build-arg", `BASE=${base}`, "--build-arg", `RUN_NO=${tag}`], { env });
    };
    expect((await bp("one", home)).totals.containersRun).toBe(1);
    expect((await bp("two", home)).totals.containersRun).toBe(1);
    await bp("three", await scratchDir("slipway-home-"));
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}:one`)).toBe("");
    expect(await pullAndRun(other.socketPath, `${repo}:two`)).toBe("one\n");
    expect(await pullAndRun(other.socketPath, `${repo}:three`)).toBe("one\ntwo\n");
    const tree = await fileTree(other.socketPath, `${repo}:two`);
    expect(Object.keys(tree).filter((p) => p.startsWith("cache/"))).toEqual([]);
  });

  test("a bind from a stage mounts its files read-only; a change to that stage reruns the RUN, on a fresh node too", async () => {
    const dockerfile = `ARG BASE\nFROM \${BASE} AS build\nCOPY out.txt /out/out.txt\nRUN echo built >> /out/out.txt\nFROM \${BASE}\nRUN --mount=type=bind,from=build,source=/out,target=/o cat /o/out.txt > /got.txt && (touch /o/x 2>/dev/null || echo ro >> /got.txt)\nCMD ["cat", "/got.txt"]\n`;
    const dir = await contextDir({ Dockerfile: dockerfile, "out.txt": "v1\n" });
    const repo = `${registry.host}/df-bind-from`;
    const job = async (tag: string) => {
      await using fresh = await testEngine();
      const env = { DOCKER_HOST: `unix://${fresh.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-") };
      return await slipwayJson(["bp", repo, "--tag", tag, "--dir", dir, "--build-arg", `BASE=${base}`], { env });
    };
    expect((await job("a")).totals.containersRun).toBe(2);
    expect((await job("b")).totals.containersRun).toBe(0);
    await writeFile(join(dir, "out.txt"), "v2\n");
    expect((await job("c")).totals.containersRun).toBe(2);
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}:a`)).toBe("v1\nbuilt\nro\n");
    expect(await pullAndRun(other.socketPath, `${repo}:c`)).toBe("v2\nbuilt\nro\n");
    expect(Object.keys(await fileTree(other.socketPath, `${repo}:c`)).filter((p) => p.startsWith("o/") || p.startsWith("out"))).toEqual([]);
  });
});
