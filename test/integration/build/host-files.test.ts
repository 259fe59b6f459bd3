import { symlink, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { extract } from "tar-stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { run } from "../../../src/util/process.ts";
import { slipway, slipwayJson } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { type BuildWorld, buildWorld } from "../../support/services.ts";

// No file of the build node may enter an image: not through a tracked directory that a job
// replaced by a symlink, not through a tracked file that became one, not through an import.

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

/** Every entry of every layer of `ref` (as `docker save` gives them): what the image holds, no container involved. */
async function layerEntries(ref: string): Promise<Map<string, { type: string; linkname?: string; content: string }>> {
  const saved = await run("/bin/sh", ["-c", `(docker image inspect ${ref} >/dev/null 2>&1 || docker pull -q ${ref} >/dev/null) && docker save ${ref} | base64 -w0`], { env: { ...process.env, DOCKER_HOST: env.DOCKER_HOST } });
  if (saved.code !== 0) throw new Error(saved.stderr);
  const outer = await untar(Buffer.from(saved.stdout, "base64"));
  const manifest = JSON.parse(outer.get("manifest.json")!.content) as { Layers: string[] }[];
  const all = new Map<string, { type: string; linkname?: string; content: string }>();
  for (const layer of manifest[0].Layers) for (const [name, e] of await untar(Buffer.from(outer.get(layer)!.content, "latin1"))) all.set(name, e);
  return all;
}

async function untar(tar: Buffer): Promise<Map<string, { type: string; linkname?: string; content: string }>> {
  const out = new Map<string, { type: string; linkname?: string; content: string }>();
  const reader = extract();
  reader.on("entry", (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => chunks.push(c as Buffer));
    stream.on("end", () => {
      out.set(h.name.replace(/^\.?\//, "").replace(/\/$/, ""), { type: h.type ?? "file", linkname: h.linkname ?? undefined, content: Buffer.concat(chunks).toString("latin1") });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => reader.on("finish", resolve).on("error", reject));
  Readable.from([tar]).pipe(reader);
  await done;
  return out;
}

const appConfig = (project: string) => `project: ${project}
configVersion: 1
---
image: app
from: ${base}
git:
- add: /
  to: /app
  excludePaths: [slipway.yaml]
docker:
  WORKDIR: /app
`;

describe("files of the working tree are read as git sees them", () => {
  test("a tracked directory replaced by a symlink to /etc is deleted, with bp and build alike", async () => {
    const app = await gitProject({ "slipway.yaml": appConfig("hostile"), "conf/app.conf": "a=1\n", "conf/passwd": "mine\n", "main.txt": "main\n" });
    await rm(join(app.dir, "conf"), { recursive: true });
    await symlink("/etc", join(app.dir, "conf"));
    const plan = await slipway(["plan", "--dir", app.dir], { env });
    expect(plan.code).toBe(0);

    const bp = await slipwayJson(["bp", `${registry.host}/hostile`, "--tag", "main", "--dir", app.dir], { env });
    const built = await slipwayJson(["build", "--dir", app.dir], { env });
    for (const ref of [bp.images[0].ref, built.images[0].ref]) {
      const files = await layerEntries(ref);
      expect(files.get("app/main.txt")?.content).toBe("main\n");
      // git reports conf/app.conf and conf/passwd as deleted; conf itself is untracked.
      expect([...files.keys()].filter((p) => p.startsWith("app/conf"))).toEqual([]);
      expect([...files.values()].some((e) => e.content.includes("root:x:0:0") && e.content !== "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n")).toBe(false);
    }
  });

  test("a tracked file replaced by a symlink to a host file is stored as that symlink, never its target's bytes", async () => {
    const app = await gitProject({ "slipway.yaml": appConfig("hostile-link"), "settings": "plain\n" });
    await rm(join(app.dir, "settings"));
    await symlink("/etc/passwd", join(app.dir, "settings"));
    const report = await slipwayJson(["build", "--dir", app.dir], { env });
    const entry = (await layerEntries(report.images[0].ref)).get("app/settings");
    expect(entry).toEqual({ type: "symlink", linkname: "/etc/passwd", content: "" });
  });
});

describe("imports never copy the engine's container files", () => {
  test("importing / and /etc from an artifact leaves out .dockerenv, hostname, hosts, resolv.conf and mtab", async () => {
    const app = await gitProject({
      "slipway.yaml": `project: imports-etc
configVersion: 1
---
artifact: tools
from: ${base}
shell:
  install: ["echo made > /etc/made.conf"]
---
image: whole
from: ${base}
import:
- artifact: tools
  add: /
  to: /copy
  includePaths: [etc, .dockerenv]
  after: install
---
image: etc
from: ${base}
import:
- artifact: tools
  add: /etc
  to: /etc
  after: install
`,
    });
    const report = await slipwayJson(["build", "--dir", app.dir], { env });
    const whole = await layerEntries(report.images.find((i) => i.name === "whole")!.ref);
    expect(whole.get("copy/etc/made.conf")?.content).toBe("made\n");
    expect(whole.has("copy/etc/passwd")).toBe(true);
    const etc = await layerEntries(report.images.find((i) => i.name === "etc")!.ref);
    expect(etc.get("etc/made.conf")?.content).toBe("made\n");
    for (const engineFile of [".dockerenv", "etc/hostname", "etc/hosts", "etc/resolv.conf", "etc/mtab"]) {
      expect(whole.has(`copy/${engineFile}`)).toBe(false);
      expect(etc.has(engineFile)).toBe(false);
    }
  });

  test("an import with hard links and a named owner: links become copies, the owner comes from the image's /etc/passwd", async () => {
    const app = await gitProject({
      "slipway.yaml": `project: imports-links
configVersion: 1
---
artifact: tools
from: ${base}
shell:
  install: ["mkdir -p /out && head -c 3000000 /dev/zero > /out/big && ln /out/big /out/again && echo hi > /out/small"]
---
image: app
from: ${base}
import:
- artifact: tools
  add: /out
  to: /opt
  owner: app
  after: install
`,
    });
    const report = await slipwayJson(["build", "--dir", app.dir], { env });
    const files = await layerEntries(report.images.find((i) => i.name === "app")!.ref);
    expect(files.get("opt/big")?.content.length).toBe(3_000_000);
    expect(files.get("opt/again")).toMatchObject({ type: "file" });
    expect(files.get("opt/again")?.content).toBe(files.get("opt/big")?.content);
    expect(files.get("opt/small")?.content).toBe("hi\n");
    const owners = await run("/usr/bin/docker", ["run", "--rm", "--network", "none", report.images.find((i) => i.name === "app")!.ref, "stat", "-c", "%u:%g", "/opt/small", "/opt/again"], {
      env: { ...process.env, DOCKER_HOST: env.DOCKER_HOST },
    });
    expect(owners.stdout).toBe("1000:1000\n1000:1000\n");
  });
});
