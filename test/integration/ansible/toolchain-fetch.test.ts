import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, expect, test } from "vitest";
import { publishedToolchain, toolchainTag } from "../../../src/ansible/publish.ts";
import type { Toolchain } from "../../../src/ansible/toolchain.ts";
import { createRegistry } from "../../../src/registry/index.ts";
import { run } from "../../../src/util/process.ts";
import { slipway } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { type BuildWorld, buildWorld, scratchDir, testEngine } from "../../support/services.ts";
import type { BuildReport } from "../../../src/build/report.ts";
import { testToolchain } from "./support.ts";

/*
 * Two nodes and one stages repository: node A has a toolchain (SLIPWAY_ANSIBLE_TOOLCHAIN,
 * built by the same script) and publishes it; node B has an empty SLIPWAY_HOME, no
 * toolchain of its own and another engine, and gets the toolchain from the repository.
 */

let world: BuildWorld;
let toolchain: Toolchain;
let engineB: Awaited<ReturnType<typeof testEngine>>;

beforeAll(async () => {
  [world, toolchain, engineB] = await Promise.all([buildWorld(), testToolchain(), testEngine()]);
}, 120_000);

afterAll(async () => Promise.all([world?.stop(), engineB?.stop()]));

const config = (base: string, setup: string) => `project: p
configVersion: 1
---
image: app
from: ${base}
ansible:
  install:
  - copy: { content: "a=1\\n", dest: /etc/app.conf }
  setup:
  - shell: echo ${setup} > /etc/setup
`;

async function bp(dir: string, env: Record<string, string>): Promise<{ report: BuildReport; stderr: string }> {
  const res = await slipway(["bp", `${world.registry.host}/app`, "--tag", "t", "--dir", dir, "--json"], { env: { ...env, SLIPWAY_ANSIBLE_TOOLCHAIN: env.SLIPWAY_ANSIBLE_TOOLCHAIN ?? "" } });
  if (res.code !== 0) throw new Error(`bp exited ${res.code}:\n${res.stderr}`);
  return { report: JSON.parse(res.stdout) as BuildReport, stderr: res.stderr };
}

const digests = (r: BuildReport) => Object.fromEntries(r.images[0].stages.map((s) => [s.name, s.digest]));
const nodeB = async () => ({ DOCKER_HOST: `unix://${engineB.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-b-") });

test("a fresh node plans with the toolchain its repository has, fetches it when a stage runs and builds none", async () => {
  const envA = { ...world.env, SLIPWAY_ANSIBLE_TOOLCHAIN: toolchain.dir };
  const first = await gitProject({ "werf.yaml": config(world.base, "one") });
  const a = await bp(first.dir, envA);
  expect(a.stderr).toMatch(/ansible toolchain sha256:[0-9a-f]{12} published to app:ansible-toolchain-[0-9a-f]{32}/);
  const published = await publishedToolchain(createRegistry({ host: world.registry.host }), "app", toolchain.recipe!);
  expect(published?.digest).toBe(toolchain.digest);

  // Node B, everything in the registry: the same digests from the tag alone, nothing fetched.
  const envB = await nodeB();
  const b = await bp(first.dir, envB);
  expect(digests(b.report)).toEqual(digests(a.report));
  expect(b.report.images[0].stages.map((s) => s.status)).toEqual(["registry", "registry", "registry"]);
  expect(b.stderr).not.toMatch(/ansible toolchain .*(fetched|built|published)/);

  // A changed setup stage runs on node B: the toolchain comes from the registry, not a build.
  const second = await gitProject({ "werf.yaml": config(world.base, "two") });
  const c = await bp(second.dir, envB);
  expect(c.stderr).toMatch(/ansible toolchain sha256:[0-9a-f]{12} fetched from app \(\d+\.\d MB/);
  expect(c.stderr).not.toMatch(/ansible toolchain built/);
  expect(c.report.images[0].stages.find((s) => s.name === "setup")?.status).toBe("built");
  expect(digests(c.report).install).toBe(digests(a.report).install);
  const home = await readdir(join(envB.SLIPWAY_HOME, "ansible"));
  // Only the fetched directory (named by digest): no directory under the recipe id, where a build goes.
  expect(home.filter((f) => !f.includes("."))).toEqual([`sha256-${toolchain.digest.slice(7, 39)}`]);
  expect(existsSync(join(envB.SLIPWAY_HOME, "ansible", toolchain.recipe!))).toBe(false);

  // Node A, a build from the fetched stages: what B built, A reuses.
  const again = await bp(second.dir, envA);
  expect(again.report.images[0].stages.map((s) => s.status)).toEqual(["registry", "registry", "registry"]);
}, 300_000);

test("a toolchain layer changed in the registry is refused, naming the tag", async () => {
  const client = createRegistry({ host: world.registry.host });
  const published = await publishedToolchain(client, "app", toolchain.recipe!);
  expect(published).toBeDefined();
  // Another (valid) gzip tar where the layer's bytes were: the registry serves it under the old digest.
  const scratch = await scratchDir("slipway-tamper-");
  await run("sh", ["-c", `mkdir -p "$1/bin" && printf '#!/bin/sh\\necho owned\\n' > "$1/bin/ansible-playbook" && tar -C "$1" -cf "$1.tar" .`, "sh", scratch]);
  const hex = published!.layer.digest.slice(7);
  const { readFile } = await import("node:fs/promises");
  await writeFile(join(world.registry.root, "data/docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data"), gzipSync(await readFile(`${scratch}.tar`)));

  const third = await gitProject({ "werf.yaml": config(world.base, "three") });
  const res = await slipway(["bp", `${world.registry.host}/app`, "--tag", "t", "--dir", third.dir], { env: { ...(await nodeB()), SLIPWAY_ANSIBLE_TOOLCHAIN: "" } });
  expect(res.code, res.stderr).toBe(1);
  expect(res.stderr).toContain(`refused the ansible toolchain from app:${toolchainTag(toolchain.recipe!)}`);
  expect(res.stderr).toMatch(/digest mismatch|have digest/);
  expect(res.stderr).not.toContain("owned");
}, 300_000);
