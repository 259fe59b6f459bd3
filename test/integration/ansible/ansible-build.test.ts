import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Toolchain } from "../../../src/ansible/toolchain.ts";
import { slipway, slipwayJson } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { type BuildWorld, buildWorld } from "../../support/services.ts";
import { DockerEngine } from "../../../src/engine/docker.ts";
import { pushDebianLike } from "../../support/debian-like.ts";
import { testToolchain, topLayers, type Entry } from "./support.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/ansible-offline");

let world: BuildWorld;
let toolchain: Toolchain;
let env: Record<string, string>;
let debian: string;

beforeAll(async () => {
  [world, toolchain] = await Promise.all([buildWorld(), testToolchain()]);
  env = { ...world.env, SLIPWAY_ANSIBLE_TOOLCHAIN: toolchain.dir };
  debian = `${world.registry.host}/base/debian-like:12`;
  await pushDebianLike(new DockerEngine({ socketPath: world.engine.socketPath }), debian);
}, 120_000);

afterAll(() => world?.stop());

const config = (from: string, body: string) => `project: p
configVersion: 1
---
image: app
from: ${from}
${body}`;

/** What a layer holds, without times: path -> type, mode, owner, content. */
function files(layer: Map<string, Entry>): Record<string, string> {
  return Object.fromEntries([...layer].map(([path, e]) => [path, `${e.type} ${(e.mode & 0o7777).toString(8)} ${e.uid}:${e.gid} ${e.linkname ?? ""} ${e.content}`]));
}

async function buildLayerOf(from: string, body: string, more: Record<string, string> = {}): Promise<Record<string, string>> {
  const app = await gitProject({ "werf.yaml": config(from, body), ...more });
  const report = await slipwayJson(["build", "--dir", app.dir], { env });
  const [layer] = await topLayers(env.DOCKER_HOST, report.images[0].ref);
  return files(layer);
}

describe("ansible stages", () => {
  test("copy, file, lineinfile, template and shell in busybox make the files the equivalent shell stage makes", async () => {
    const ansible = await buildLayerOf(world.base, `ansible:
  install:
  - name: a config file
    copy: { content: "a=1\\n", dest: /etc/app.conf, mode: "0640" }
  - file: { path: /srv/data, state: directory, mode: "0750" }
  - lineinfile: { path: /etc/app.conf, line: "b=2" }
  - template: { src: /templates/app.j2, dest: /srv/data/out.txt, mode: "0644" }
    vars: { who: world }
  - shell: echo made > /srv/data/made.txt
git:
- add: /templates
  to: /templates
`, { "templates/app.j2": "name={{ who }}\n" });
    const shell = await buildLayerOf(world.base, `shell:
  install:
  - printf 'a=1\\n' > /etc/app.conf && chmod 0640 /etc/app.conf
  # the file module gives new parent directories the mode too
  - mkdir -p /srv/data && chmod 0750 /srv /srv/data
  - echo b=2 >> /etc/app.conf
  - printf 'name=world\\n' > /srv/data/out.txt && chmod 0644 /srv/data/out.txt
  - echo made > /srv/data/made.txt
git:
- add: /templates
  to: /templates
`, { "templates/app.j2": "name={{ who }}\n" });
    expect(ansible["etc/app.conf"]).toBe("file 640 0:0  a=1\nb=2\n");
    expect(ansible["srv/data/out.txt"]).toBe("file 644 0:0  name=world\n");
    expect(ansible).toEqual(shell);
  }, 180_000);

  test("user and group in a Debian-like image without Python write the account files groupadd and useradd write", async () => {
    const ansible = await buildLayerOf(debian, `ansible:
  install:
  - group: { name: web, gid: 1234 }
  - user: { name: web, uid: 1234, group: web, create_home: no, shell: /bin/sh }
`);
    const shell = await buildLayerOf(debian, `shell:
  install:
  - groupadd -g 1234 web
  - useradd -u 1234 -g web -M -s /bin/sh web
`);
    expect(ansible["etc/passwd"]).toContain("web:x:1234:1234::/home/web:/bin/sh");
    expect(ansible["etc/group"]).toContain("web:x:1234:");
    expect(ansible).toEqual(shell);
  }, 180_000);

  test("werf's e2e ansible config (adapted to build offline) makes the user, group and file werf's test checks", async () => {
    const app = await gitProject({ "werf.yaml": await readFile(join(FIXTURES, "werf-e2e-general/werf.yaml"), "utf8") });
    const report = await slipwayJson(["build", "--dir", app.dir], { env: { ...env, BASE_IMAGE: debian } });
    const [layer] = await topLayers(env.DOCKER_HOST, report.images[0].ref);
    expect(layer.get("MYFILE")).toMatchObject({ mode: 0o100755, uid: 300, gid: 300, content: "GOODBYE\nWORLD\n" });
    expect(layer.get("etc/passwd")?.content).toMatch(/^testuser:x:1040:1000:Test User:\/home\/testuser:/m);
    expect(layer.get("etc/group")?.content).toContain("testgroup:x:1000:");
    expect(layer.get("home/testuser")?.type).toBe("directory");
  }, 120_000);

  test("a failing task fails the build with exit 1, naming the task and its line", async () => {
    const app = await gitProject({ "werf.yaml": config(world.base, `ansible:
  install:
  - debug: { msg: first }
  - name: breaks on purpose
    command: /bin/false
`) });
    const res = await slipway(["build", "--dir", app.dir, "--json"], { env });
    expect(res.code).toBe(1);
    const doc = JSON.parse(res.stdout) as { error: { kind: string; stage: string; message: string } };
    expect(doc.error.kind).toBe("build");
    expect(doc.error.stage).toBe("install");
    expect(doc.error.message).toContain("ansible task breaks on purpose (werf.yaml:9) failed");
  }, 120_000);
});
