import { afterAll, beforeAll, expect, test } from "vitest";
import type { Toolchain } from "../../../src/ansible/toolchain.ts";
import { DockerEngine } from "../../../src/engine/docker.ts";
import { slipway, slipwayJson } from "../../support/cli.ts";
import { pushMuslLike } from "../../support/musl-like.ts";
import { gitProject } from "../../support/project.ts";
import { type BuildWorld, buildWorld } from "../../support/services.ts";
import { testToolchain, topLayers, type Entry } from "./support.ts";

/*
 * The toolchain in an image whose only libc is musl (Alpine-like: busybox-static and
 * Debian's musl at Alpine's paths, no glibc, no /lib64, no Python): it brings its own
 * glibc loader and libraries and touches nothing of the image's.
 */

let world: BuildWorld;
let toolchain: Toolchain;
let env: Record<string, string>;
let musl: string;

beforeAll(async () => {
  [world, toolchain] = await Promise.all([buildWorld(), testToolchain()]);
  env = { ...world.env, SLIPWAY_ANSIBLE_TOOLCHAIN: toolchain.dir };
  musl = `${world.registry.host}/base/musl-like:3`;
  await pushMuslLike(new DockerEngine({ socketPath: world.engine.socketPath }), musl);
}, 120_000);

afterAll(() => world?.stop());

const config = (body: string) => `project: p
configVersion: 1
---
image: app
from: ${musl}
${body}`;

function files(layer: Map<string, Entry>): Record<string, string> {
  return Object.fromEntries([...layer].map(([path, e]) => [path, `${e.type} ${(e.mode & 0o7777).toString(8)} ${e.uid}:${e.gid} ${e.linkname ?? ""} ${e.content}`]));
}

async function layerOf(body: string): Promise<Record<string, string>> {
  const app = await gitProject({ "werf.yaml": config(body) });
  const report = await slipwayJson(["build", "--dir", app.dir], { env });
  const [layer] = await topLayers(env.DOCKER_HOST, report.images[0].ref);
  return files(layer);
}

test("copy, file, lineinfile and shell in a musl image make the files the equivalent shell stage makes", async () => {
  const ansible = await layerOf(`ansible:
  install:
  - copy: { content: "a=1\\n", dest: /etc/app.conf, mode: "0640" }
  - file: { path: /srv/data, state: directory, mode: "0750" }
  - lineinfile: { path: /etc/app.conf, line: "b=2" }
  - file: { src: /etc/app.conf, dest: /srv/data/app.conf, state: link }
  # The image's own musl still runs programs in the stage: its loader names itself.
  - shell: /lib/ld-musl-x86_64.so.1 2>&1 | head -n 1 > /srv/data/libc.txt
`);
  const shell = await layerOf(`shell:
  install:
  - printf 'a=1\\n' > /etc/app.conf && chmod 0640 /etc/app.conf
  - mkdir -p /srv/data && chmod 0750 /srv /srv/data
  - echo b=2 >> /etc/app.conf
  - ln -s /etc/app.conf /srv/data/app.conf
  - /lib/ld-musl-x86_64.so.1 2>&1 | head -n 1 > /srv/data/libc.txt
`);
  expect(ansible["etc/app.conf"]).toBe("file 640 0:0  a=1\nb=2\n");
  expect(ansible["srv/data/libc.txt"]).toMatch(/^file 644 0:0  musl libc \(x86_64\)\n$/);
  expect(ansible["srv/data/app.conf"]).toMatch(/^symlink \d+ 0:0 \/etc\/app.conf/);
  expect(ansible).toEqual(shell);
  // Nothing of glibc, the toolchain or Python entered the layer.
  expect(Object.keys(ansible).filter((p) => /ld-linux|lib64|python|ansible|\.slipway/.test(p))).toEqual([]);
}, 180_000);

test("the pip module in an image without pip fails the build naming the task, its line and what is missing", async () => {
  const app = await gitProject({ "werf.yaml": config(`ansible:
  install:
  - debug: { msg: first }
  - name: install a package
    pip: { name: requests }
`) });
  const res = await slipway(["build", "--dir", app.dir, "--json"], { env });
  expect(res.code).toBe(1);
  const doc = JSON.parse(res.stdout) as { error: { kind: string; stage: string; message: string } };
  expect(doc.error.stage).toBe("install");
  expect(doc.error.message).toContain("ansible task install a package (werf.yaml:9) failed");
  // The toolchain has what the module imports (pkg_resources); what is missing is the image's pip.
  expect(doc.error.message).toMatch(/failed: Unable to find any of pip3 to use\. pip needs to be installed\.$/);
}, 120_000);
