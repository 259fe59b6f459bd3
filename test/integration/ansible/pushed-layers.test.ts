import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, expect, test } from "vitest";
import { isToolchainTag } from "../../../src/ansible/publish.ts";
import { createRegistry } from "../../../src/registry/index.ts";
import { slipwayJson } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { type BuildWorld, buildWorld } from "../../support/services.ts";
import { testToolchain } from "./support.ts";

let world: BuildWorld;
let env: Record<string, string>;

beforeAll(async () => {
  const [w, toolchain] = await Promise.all([buildWorld(), testToolchain()]);
  world = w;
  env = { ...w.env, SLIPWAY_ANSIBLE_TOOLCHAIN: toolchain.dir };
}, 120_000);

afterAll(() => world?.stop());

/** Every blob the registry stores but `skip`, decompressed when it is gzip (layers), as text. */
async function blobs(root: string, skip = new Set<string>()): Promise<string[]> {
  const dir = join(root, "data/docker/registry/v2/blobs/sha256");
  const out: string[] = [];
  for (const prefix of await readdir(dir)) {
    for (const hex of await readdir(join(dir, prefix))) {
      if (skip.has(`sha256:${hex}`)) continue;
      const data = await readFile(join(dir, prefix, hex, "data"));
      out.push((data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data).toString("latin1"));
    }
  }
  return out;
}

test("the toolchain, its mount points and Ansible's temp files are in no pushed blob", async () => {
  const app = await gitProject({ "werf.yaml": `project: p
configVersion: 1
---
image: app
from: ${world.base}
ansible:
  install:
  - copy: { content: "made-by-ansible-7f3a\\n", dest: /etc/marker }
  - shell: echo shell-task-9c1e > /etc/marker2
  setup:
  - lineinfile: { path: /etc/marker, line: second-stage-4b2d }
` });
  const report = await slipwayJson(["bp", `${world.registry.host}/ansible`, "--tag", "t", "--dir", app.dir], { env });
  expect(report.images[0].stages.map((s) => s.name)).toEqual(["from", "install", "setup"]);
  // bp published the toolchain to the stages repository, as an image of its own: its blobs
  // are there, and no stage or image manifest names them.
  const client = createRegistry({ host: world.registry.host });
  const tags = await client.listTags("ansible");
  const toolchainTags = tags.filter(isToolchainTag);
  expect(toolchainTags).toHaveLength(1);
  const own = JSON.parse(Buffer.from((await client.getManifest("ansible", toolchainTags[0]))!.body).toString()) as { config: { digest: string }; layers: { digest: string }[] };
  const toolchainBlobs = new Set([own.config.digest, ...own.layers.map((l) => l.digest)]);
  for (const [repository, tag] of [...tags.filter((t) => !isToolchainTag(t)).map((t) => ["ansible", t]), ["ansible/app", "t"]]) {
    const body = Buffer.from((await client.getManifest(repository, tag))!.body).toString();
    for (const blob of toolchainBlobs) expect(body, `${repository}:${tag}`).not.toContain(blob);
  }
  const all = (await blobs(world.registry.root, toolchainBlobs)).join("\n");
  // The stages' own files are there: the search looks where the layers are.
  for (const made of ["made-by-ansible-7f3a", "shell-task-9c1e", "second-stage-4b2d"]) expect(all).toContain(made);
  for (const foreign of ["python3.11", "ansible_collections", "ansible-playbook", "dev/.slipway", "AnsiballZ", "ansible-tmp", "ansible-work"]) {
    expect(all, foreign).not.toContain(foreign);
  }
}, 180_000);
