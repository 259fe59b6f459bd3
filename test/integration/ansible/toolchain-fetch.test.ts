import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { publishedToolchain, toolchainTag } from "../../../src/ansible/publish.ts";
import type { Toolchain } from "../../../src/ansible/toolchain.ts";
import { createRegistry } from "../../../src/registry/index.ts";
import { slipway } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { type BuildWorld, buildWorld, scratchDir, testEngine } from "../../support/services.ts";
import type { BuildReport } from "../../../src/build/report.ts";
import type { CleanupReport } from "../../../src/cleanup/types.ts";
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
  // Only the fetched directory (named by digest) and its notes: nothing under the recipe id,
  // where a build goes (nor the <recipe>.tmp-* directory a build starts in).
  const fetched = `sha256-${toolchain.digest.slice(7, 39)}`;
  expect((await readdir(join(envB.SLIPWAY_HOME, "ansible"))).sort()).toEqual([fetched, `${fetched}.digest`, `${fetched}.key`]);
  expect(existsSync(join(envB.SLIPWAY_HOME, "ansible", fetched, "bin", "ansible-playbook"))).toBe(true);

  // plan --repo on a fresh node plans what bp would (the repository's toolchain) and writes nothing.
  const plan = await slipway(["plan", "--repo", `${world.registry.host}/app`, "--dir", second.dir, "--json"], { env: { ...(await nodeB()), SLIPWAY_ANSIBLE_TOOLCHAIN: "" } });
  expect(plan.code, plan.stderr).toBe(0);
  expect(digests(JSON.parse(plan.stdout) as BuildReport)).toEqual(digests(c.report));
  const elsewhere = await slipway(["plan", "--repo", `${world.registry.host}/elsewhere`, "--dir", second.dir, "--json"], { env: envA });
  expect(elsewhere.code, elsewhere.stderr).toBe(0);
  expect(await createRegistry({ host: world.registry.host }).listTags("elsewhere").catch(() => [])).toEqual([]);

  // Node A, a build from the fetched stages: what B built, A reuses.
  const again = await bp(second.dir, envA);
  expect(again.report.images[0].stages.map((s) => s.status)).toEqual(["registry", "registry", "registry"]);
}, 300_000);

test("cleanup keeps the toolchain while a kept stage was built with it, and deletes it with the last such stage", async () => {
  const project = await gitProject({ "werf.yaml": config(world.base, "one") });
  const envA = { ...world.env, SLIPWAY_ANSIBLE_TOOLCHAIN: toolchain.dir };
  const res = await slipway(["bp", `${world.registry.host}/app`, "--tag", "main", "--dir", project.dir], { env: envA });
  expect(res.code, res.stderr).toBe(0);
  const cleanup = async (dir: string) => {
    const out = await slipway(["cleanup", "repo", `${world.registry.host}/app`, "--dir", dir, "--no-kube", "--grace", "0s", "--dry-run", "--json"], { env: envA });
    expect(out.code, out.stderr).toBe(0);
    return JSON.parse(out.stdout) as CleanupReport;
  };
  const tag = toolchainTag(toolchain.recipe!);
  // Branch main exists: its image and stages stay, and with them the toolchain.
  const kept = (await cleanup(project.dir)).tags.find((t) => t.tag === tag);
  expect(kept).toMatchObject({ kind: "toolchain", action: "keep", reason: expect.stringMatching(/^used by kept stage stage-[0-9a-f]{12}$/) });
  // A checkout where no branch has an image: nothing keeps the stages, nor the toolchain.
  const other = await gitProject({ "werf.yaml": config(world.base, "one") });
  await other.git("branch", "-m", "main", "elsewhere");
  const doomed = (await cleanup(other.dir)).tags.find((t) => t.tag === tag);
  expect(doomed).toMatchObject({ kind: "toolchain", action: "delete", reason: "no kept stage was built with this toolchain" });
}, 300_000);

test("a toolchain layer changed in the registry is refused, naming the tag", async () => {
  const client = createRegistry({ host: world.registry.host });
  const published = await publishedToolchain(client, "app", toolchain.recipe!);
  expect(published).toBeDefined();
  // Bytes changed in the middle of the stored layer (same size): the registry serves them under the old digest.
  const hex = published!.layer.digest.slice(7);
  const blob = join(world.registry.root, "data/docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
  const data = await readFile(blob);
  data.write("tampered", Math.floor(data.length / 2), "latin1");
  await writeFile(blob, data);

  const third = await gitProject({ "werf.yaml": config(world.base, "three") });
  const envC = await nodeB();
  const res = await slipway(["bp", `${world.registry.host}/app`, "--tag", "t", "--dir", third.dir], { env: { ...envC, SLIPWAY_ANSIBLE_TOOLCHAIN: "" } });
  expect(res.code, res.stderr).toBe(1);
  // The stage that needed it is named.
  expect(res.stderr).toContain(`image app, stage setup: refused the ansible toolchain from app:${toolchainTag(toolchain.recipe!)}`);
  expect(res.stderr).toContain("its layer does not match its digest");
  expect(res.stderr).toContain("digest mismatch");
  // Nothing of it was kept on the node: no toolchain, no half-extracted directory, no layer file.
  expect(res.stderr).not.toMatch(/ansible toolchain .* fetched/);
  expect(await readdir(join(envC.SLIPWAY_HOME, "ansible")).catch(() => [])).toEqual([]);
}, 300_000);
