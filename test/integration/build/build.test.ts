import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { run } from "../../../src/util/process.ts";
import { slipway, slipwayJson, statuses } from "../../support/cli.ts";
import { gitProject, type GitProject } from "../../support/project.ts";
import { type BuildWorld, buildWorld, scratchDir } from "../../support/services.ts";

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

let projects = 0;

/** Each test gets its own project name, so no test finds another's stages by accident. */
function appConfig(project: string): string {
  return `project: ${project}
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
    setup: [conf/*]
shell:
  beforeInstall: [echo before > /before.txt]
  install: ["cat /app/deps.txt > /installed.txt"]
  setup: ["cat /app/conf/* > /setup.txt"]
docker:
  WORKDIR: /app
  ENV: {MODE: prod}
  CMD: ["sh", "-c", "cat /installed.txt /app/src/main.txt"]
  EXPOSE: "8080"
  LABEL: {team: core}
`;
}

async function newApp(project = `shop${++projects}`): Promise<GitProject> {
  return gitProject({ "slipway.yaml": appConfig(project), "deps.txt": "dep 1\n", "conf/a.conf": "a=1\n", "src/main.txt": "main v1\n" });
}

async function docker(...args: string[]): Promise<string> {
  const res = await run("/usr/bin/docker", args, { env: { ...process.env, DOCKER_HOST: env.DOCKER_HOST } });
  if (res.code !== 0) throw new Error(`docker ${args.join(" ")}: ${res.stderr}`);
  return res.stdout;
}

describe("local builds on a private engine", () => {
  test("a multi-stage project builds into an image with the right files and exactly the configured settings", async () => {
    const app = await newApp();
    const report = await slipwayJson(["build", "--dir", app.dir], { env });
    expect(Object.keys(statuses(report))).toEqual(["from", "beforeInstall", "gitInstall", "install", "gitSetup", "setup", "gitLatest", "dockerInstructions"]);
    expect(statuses(report).install).toBe("built");
    expect(statuses(report).gitLatest).toBe("appended");
    expect(report.totals.containersRun).toBe(3);
    const ref = report.images[0].ref;
    expect(await docker("run", "--rm", "--network", "none", ref)).toBe("dep 1\nmain v1\n");
    const config = JSON.parse(await docker("image", "inspect", ref, "--format", "{{json .Config}}"));
    expect(config.Env).toEqual(["PATH=/usr/local/bin:/usr/bin:/bin", "MODE=prod"]);
    expect(config.Cmd).toEqual(["sh", "-c", "cat /installed.txt /app/src/main.txt"]);
    expect(config.Entrypoint).toBeNull();
    expect(config.WorkingDir).toBe("/app");
    expect(config.User).toBe("");
    expect(config.Labels).toEqual({ base: "busybox", team: "core" });
    expect(config.ExposedPorts).toEqual({ "8080/tcp": {} });
    expect(await docker("run", "--rm", "--network", "none", ref, "cat", "/setup.txt", "/before.txt")).toBe("a=1\nbefore\n");
  });

  test("a rebuild with nothing changed runs no container and finds every stage locally", async () => {
    const app = await newApp();
    await slipwayJson(["build", "--dir", app.dir], { env });
    const again = await slipwayJson(["build", "--dir", app.dir], { env });
    expect(again.totals.containersRun).toBe(0);
    expect(again.totals.stagesBuilt).toBe(0);
    expect(new Set(Object.values(statuses(again)))).toEqual(new Set(["local"]));
  });

  test("a stageDependencies change rebuilds that stage and the ones after it, and plan says why", async () => {
    const app = await newApp();
    await slipwayJson(["build", "--dir", app.dir], { env });
    await app.write({ "deps.txt": "dep 2\n" });
    await app.commit();
    const plan = await slipwayJson(["plan", "--dir", app.dir], { env });
    const install = plan.images[0].stages.find((s) => s.name === "install");
    expect(install?.reason).toContain("files matching install dependencies changed: deps.txt");
    const report = await slipwayJson(["build", "--dir", app.dir], { env });
    expect(statuses(report)).toEqual({
      from: "local", beforeInstall: "local", gitInstall: "appended", install: "built", gitSetup: "appended",
      setup: "built", gitLatest: "appended", dockerInstructions: "appended",
    });
    expect(await docker("run", "--rm", "--network", "none", report.images[0].ref)).toBe("dep 2\nmain v1\n");
  });

  test("a change outside every stageDependencies rebuilds no user stage", async () => {
    const app = await newApp();
    await slipwayJson(["build", "--dir", app.dir], { env });
    await app.write({ "src/main.txt": "main v2\n" });
    await app.commit();
    const report = await slipwayJson(["build", "--dir", app.dir], { env });
    expect(report.totals.containersRun).toBe(0);
    expect(statuses(report)).toMatchObject({ beforeInstall: "local", install: "local", setup: "local", gitLatest: "appended", dockerInstructions: "appended" });
    expect(await docker("run", "--rm", "--network", "none", report.images[0].ref)).toBe("dep 1\nmain v2\n");
  });

  test("a shallow clone plans the same digests", async () => {
    const app = await newApp();
    await app.write({ "src/other.txt": "x\n" });
    await app.commit("second");
    const clone = await scratchDir("slipway-clone-");
    const res = await run("git", ["clone", "-q", "--depth", "1", `file://${app.dir}`, clone]);
    expect(res.code).toBe(0);
    const a = await slipwayJson(["plan", "--dir", app.dir], { env });
    const b = await slipwayJson(["plan", "--dir", clone], { env });
    expect(b.images[0].stages.map((s) => s.digest)).toEqual(a.images[0].stages.map((s) => s.digest));
  });

  test("a failing command exits 1 naming image, stage and exit code; a fixed build resumes from that stage", async () => {
    const app = await newApp("failing");
    await app.write({ "slipway.yaml": appConfig("failing").replace('setup: ["cat /app/conf/* > /setup.txt"]', 'setup: ["echo failing; exit 3"]') });
    await app.commit();
    const failed = await slipway(["build", "--dir", app.dir], { env });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/image app, stage setup: command failed with exit code 3/);
    expect(failed.stderr).toContain("failing");
    await app.write({ "slipway.yaml": appConfig("failing") });
    await app.commit();
    const fixed = await slipwayJson(["build", "--dir", app.dir], { env });
    expect(statuses(fixed)).toMatchObject({ beforeInstall: "local", install: "local", gitSetup: "local", setup: "built" });
  });
});

describe("several images", () => {
  test("artifacts, imports, fromImage and mounts build in dependency order", async () => {
    const app = await gitProject({
      "src/tool.sh": "echo tool\n",
      "slipway.yaml": `project: multi
configVersion: 1
---
artifact: builder
from: ${base}
git:
- add: /src
  to: /src
  stageDependencies:
    install: ["**/*"]
shell:
  install: ["mkdir -p /out && cp /src/tool.sh /out/tool.sh && echo built > /out/stamp && ls /cache > /out/cache-listing"]
mount:
- from: build_dir
  to: /cache
---
image: base-app
from: ${base}
shell:
  install: ["echo base > /base.txt"]
---
image: web
fromImage: base-app
import:
- artifact: builder
  add: /out
  to: /opt/tool
  excludePaths: [cache-listing]
  after: install
shell:
  install: ["echo web > /web.txt"]
docker:
  ENTRYPOINT: ["sh", "/opt/tool/tool.sh"]
`,
    });
    const report = await slipwayJson(["build", "web", "--dir", app.dir], { env });
    expect(report.images.map((i) => i.name).sort()).toEqual(["base-app", "builder", "web"]);
    const web = report.images.find((i) => i.name === "web")!;
    expect(web.stages.map((s) => s.name)).toEqual(["from", "install", "importsAfterInstall", "dockerInstructions"]);
    expect(web.stages.find((s) => s.name === "importsAfterInstall")?.status).toBe("appended");
    expect(await docker("run", "--rm", "--network", "none", web.ref)).toBe("tool\n");
    const files = await docker("run", "--rm", "--network", "none", "--entrypoint", "sh", web.ref, "-c", "cat /base.txt /web.txt /opt/tool/stamp; ls /opt/tool");
    expect(files).toBe("base\nweb\nbuilt\nstamp\ntool.sh\n");
  });

  test("an owner the parent image does not know fails the build naming image, stage and owner (exit 1)", async () => {
    const app = await gitProject({
      "slipway.yaml": `project: owners${++projects}
configVersion: 1
---
image: web
from: ${base}
git:
- add: /src
  to: /app
  owner: nobody-here
`,
      "src/main.txt": "main\n",
    });
    const res = await slipway(["build", "--dir", app.dir], { env });
    expect(res.code).toBe(1);
    expect(res.stdout + res.stderr).toMatch(/image web, stage gitLatest: owner nobody-here is not in the parent image's \/etc\/passwd/);
  });
});
