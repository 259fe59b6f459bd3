import { createReadStream, createWriteStream } from "node:fs";
import { truncate } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { BuildReport } from "../../../src/build/report.ts";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { run } from "../../../src/util/process.ts";
import { gitProject } from "../../support/project.ts";
import { type BuildWorld, buildWorld } from "../../support/services.ts";

// Layers stream from disk: a 2 GiB tracked file (sparse, so the test costs no disk to
// create) builds with the CLI's peak RSS far below the file's size.

const BIN = fileURLToPath(new URL("../../../bin/slipway.js", import.meta.url));
const SIZE = 2 * 1024 ** 3;
const RANDOM_SIZE = 96 * 1024 ** 2;

let engine: PrivateEngine;
let registry: LocalRegistry;
let env: Record<string, string>;
let base: string;

let world: BuildWorld;
beforeAll(async () => {
  world = await buildWorld();
  ({ engine, registry, base, env } = world);
});

afterAll(() => world?.stop());

/** Runs the CLI under GNU time: exit code, stdout, and the process's peak RSS in KiB. */
async function measured(args: string[]): Promise<{ code: number; stdout: string; stderr: string; maxRssKiB: number }> {
  const res = await run("/usr/bin/time", ["-f", "maxrss=%M", process.execPath, BIN, ...args], { env: { ...process.env, NO_COLOR: "1", ...env } });
  const rss = /maxrss=(\d+)/.exec(res.stderr);
  if (!rss) throw new Error(`no RSS measured:\n${res.stderr}`);
  return { ...res, maxRssKiB: Number(rss[1]) };
}

test("a 2 GiB tracked file builds and is pushed with the CLI's RSS under 300 MB", async () => {
  const app = await gitProject({
    "slipway.yaml": `project: large
configVersion: 1
---
image: app
from: ${base}
git:
- add: /
  to: /app
  excludePaths: [slipway.yaml]
`,
  });
  await app.write({ "big.bin": "" });
  await truncate(join(app.dir, "big.bin"), SIZE);
  await app.git("-c", "core.compression=1", "-c", "core.looseCompression=1", "add", "big.bin");
  await app.git("commit", "-q", "-m", "big");

  const build = await measured(["build", "--dir", app.dir, "--json"]);
  expect(build.code, build.stderr).toBe(0);
  expect(build.maxRssKiB).toBeLessThan(300 * 1024);
  const ref = (JSON.parse(build.stdout) as BuildReport).images[0].ref;
  const size = await run("/usr/bin/docker", ["run", "--rm", "--network", "none", ref, "stat", "-c", "%s", "/app/big.bin"], { env: { ...process.env, DOCKER_HOST: env.DOCKER_HOST } });
  expect(size.stdout.trim()).toBe(String(SIZE));

  // The registry path: the layer is made in Node and appended, gzip streamed from the tar file.
  const bp = await measured(["bp", `${registry.host}/large`, "--tag", "main", "--dir", app.dir, "--json"]);
  expect(bp.code, bp.stderr).toBe(0);
  expect(bp.maxRssKiB).toBeLessThan(300 * 1024);
}, 600_000);

test("bp of a layer too large to hold compressed in memory builds it on the engine instead, RSS still bounded", async () => {
  const app = await gitProject({
    "slipway.yaml": `project: large-random
configVersion: 1
---
image: app
from: ${base}
git:
- add: /
  to: /app
  excludePaths: [slipway.yaml]
`,
  });
  // Random bytes do not compress: the gzip of this layer exceeds MAX_COMPRESSED_IN_MEMORY.
  const random = createReadStream("/dev/urandom", { end: RANDOM_SIZE - 1 });
  await pipeline(random, createWriteStream(join(app.dir, "random.bin")));
  await app.git("-c", "core.compression=0", "-c", "core.looseCompression=0", "add", "random.bin");
  await app.git("commit", "-q", "-m", "random");
  const bp = await measured(["bp", `${registry.host}/large-random`, "--tag", "main", "--dir", app.dir, "--json"]);
  expect(bp.code, bp.stderr).toBe(0);
  expect(bp.maxRssKiB).toBeLessThan(300 * 1024);
  const report = JSON.parse(bp.stdout) as BuildReport;
  const ref = report.images[0].ref;
  expect(report.images[0].manifestDigest).toMatch(/^sha256:/);
  // Built on the engine: its parent had to be pulled there (the registry path downloads no
  // layer); the engine's pull is counted on the stage it pulled.
  const stages = report.images[0].stages;
  const at = stages.findIndex((s) => s.name === "gitLatest");
  expect(stages[at].status).toBe("appended");
  expect(stages[at - 1].bytesPulled).toBeGreaterThan(0);
  const docker = (...args: string[]) => run("/usr/bin/docker", args, { env: { ...process.env, DOCKER_HOST: env.DOCKER_HOST } });
  await docker("pull", "-q", ref);
  const size = await docker("run", "--rm", "--network", "none", ref, "stat", "-c", "%s", "/app/random.bin");
  expect(size.stdout.trim()).toBe(String(RANDOM_SIZE));
}, 600_000);
