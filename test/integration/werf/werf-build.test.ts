import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DockerEngine } from "../../../src/engine/docker.ts";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { stageRef } from "../../../src/build/names.ts";
import { run } from "../../../src/util/process.ts";
import { pushBaseImage } from "../../support/base-image.ts";
import { slipway, slipwayJson, statuses } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { type BuildWorld, buildWorld, scratchDir, testEngine } from "../../support/services.ts";

let engine: PrivateEngine;
let registry: LocalRegistry;
let env: Record<string, string>;
let base: string;
let projects = 0;

let world: BuildWorld;
beforeAll(async () => {
  world = await buildWorld();
  ({ engine, registry, base, env } = world);
});

afterAll(() => world?.stop());

async function docker(...args: string[]): Promise<string> {
  const res = await run("/usr/bin/docker", args, { env: { ...process.env, DOCKER_HOST: env.DOCKER_HOST } });
  if (res.code !== 0) throw new Error(`docker ${args.join(" ")}: ${res.stderr}`);
  return res.stdout;
}

const layersOf = async (ref: string): Promise<string[]> => JSON.parse(await docker("image", "inspect", ref, "--format", "{{json .RootFS.Layers}}"));

describe("a stage whose commands change no file", () => {
  const noop = (project: string) => `project: ${project}
configVersion: 1
---
image: app
from: ${base}
shell:
  beforeInstall: [echo os > /os.txt]
  install: [date, "test -f /os.txt"]
  setup: ["echo done > /setup.txt"]
docker:
  CMD: ["cat", "/os.txt", "/setup.txt"]
`;

  test("builds locally with no new layer, and the image still runs", async () => {
    const app = await gitProject({ "werf.yaml": noop(`noop${++projects}`) });
    const report = await slipwayJson(["build", "--dir", app.dir], { env });
    expect(statuses(report)).toMatchObject({ beforeInstall: "built", install: "built", setup: "built" });
    const [, beforeInstall, install, setup] = report.images[0].stages;
    const stageLayers = (digest: string) => layersOf(stageRef(report.images[0].ref.split("/")[0], digest));
    expect(await stageLayers(install.digest)).toEqual(await stageLayers(beforeInstall.digest));
    expect((await stageLayers(setup.digest)).length).toBe((await stageLayers(install.digest)).length + 1);
    expect(await docker("run", "--rm", "--network", "none", report.images[0].ref)).toBe("os\ndone\n");
  });

  test("builds and publishes through the registry (bp) on a fresh node", async () => {
    const app = await gitProject({ "werf.yaml": noop(`noop${++projects}`) });
    await using node = await testEngine();
    const nodeEnv = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-") };
    const repo = `${registry.host}/noop${projects}`;
    const report = await slipwayJson(["bp", repo, "--with-stages", "--tag", "main", "--dir", app.dir], { env: nodeEnv });
    expect(statuses(report)).toMatchObject({ beforeInstall: "built", install: "built", setup: "built" });
    const ref = `${repo}/app:main`;
    await new DockerEngine({ socketPath: engine.socketPath }).pull(ref);
    expect(await docker("run", "--rm", "--network", "none", ref)).toBe("os\ndone\n");
    const again = await slipwayJson(["bp", repo, "--with-stages", "--tag", "main", "--dir", app.dir], { env: nodeEnv });
    expect(again.totals.containersRun).toBe(0);
  });
});

describe("werf's file visibility: every user stage sees every mapped file, current", () => {
  const visible = (project: string) => `project: ${project}
configVersion: 1
---
image: app
from: ${base}
git:
- add: /
  to: /app
  excludePaths: [werf.yaml]
  stageDependencies:
    install: ["*.sum"]
    setup: ["conf/*"]
shell:
  install: ["cat /app/go.mod /app/go.sum > /installed.txt"]
  setup: ["cat /app/go.mod /app/conf/a > /setup.txt"]
docker:
  CMD: ["sh", "-c", "cat /installed.txt /setup.txt /app/go.mod; ls /app/docs"]
`;
  const files = (project: string) => ({ "werf.yaml": visible(project), "go.mod": "mod 1\n", "go.sum": "sum 1\n", "conf/a": "a1\n", "docs/x": "x\n", "docs/y": "y\n" });

  test("install reads a file outside its stageDependencies; a change to it rebuilds no user stage, yet the image has it", async () => {
    const app = await gitProject(files(`vis${++projects}`));
    const first = await slipwayJson(["build", "--dir", app.dir], { env });
    expect(Object.keys(statuses(first))).toEqual(["from", "gitArchive", "install", "setup", "gitLatest", "dockerInstructions"]);
    expect(await docker("run", "--rm", "--network", "none", first.images[0].ref)).toBe("mod 1\nsum 1\nmod 1\na1\nmod 1\nx\ny\n");

    await app.write({ "go.mod": "mod 2\n" });
    await app.remove("docs/y");
    await app.commit();
    const second = await slipwayJson(["build", "--dir", app.dir], { env });
    expect(statuses(second)).toEqual({ from: "local", gitArchive: "local", install: "local", setup: "local", gitLatest: "appended", dockerInstructions: "appended" });
    // install and setup were not rebuilt: they keep what they saw; the files themselves are current.
    expect(await docker("run", "--rm", "--network", "none", second.images[0].ref)).toBe("mod 1\nsum 1\nmod 1\na1\nmod 2\nx\n");

    await app.write({ "conf/a": "a2\n" });
    await app.commit();
    const third = await slipwayJson(["build", "--dir", app.dir], { env });
    expect(statuses(third)).toMatchObject({ install: "local", setup: "built", gitLatest: "appended" });
    // setup runs on the current go.mod, patched onto the install stage built at the first commit.
    expect(await docker("run", "--rm", "--network", "none", third.images[0].ref)).toBe("mod 1\nsum 1\nmod 2\na2\nmod 2\nx\n");
  });

  test("through the registry on fresh nodes, the patches are made against what each stage really holds", async () => {
    const app = await gitProject(files(`vis${++projects}`));
    const repo = `${registry.host}/vis${projects}`;
    const job = async () => {
      await using node = await testEngine();
      const nodeEnv = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-") };
      return await slipwayJson(["bp", repo, "--with-stages", "--tag", "main", "--dir", app.dir], { env: nodeEnv });
    };
    const runImage = async () => {
      await new DockerEngine({ socketPath: engine.socketPath }).pull(`${repo}/app:main`);
      return docker("run", "--rm", "--network", "none", `${repo}/app:main`);
    };
    expect(statuses(await job())).toMatchObject({ gitArchive: "appended", install: "built", setup: "built", gitLatest: "appended" });
    await app.write({ "go.mod": "mod 2\n", "conf/a": "a2\n" });
    await app.remove("docs/y");
    await app.commit();
    const second = await job();
    expect(statuses(second)).toMatchObject({ gitArchive: "registry", install: "pulled", setup: "built", gitLatest: "appended" });
    expect(await runImage()).toBe("mod 1\nsum 1\nmod 2\na2\nmod 2\nx\n");
  });

  test("gitVisibility: strict shows install only the files its stageDependencies list", async () => {
    const app = await gitProject(files(`vis${++projects}`));
    await app.write({ "werf.yaml": visible(`vis${projects}`).replace("image: app\n", "image: app\ngitVisibility: strict\n") });
    await app.commit();
    const res = await slipway(["build", "--dir", app.dir], { env });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("/app/go.mod");
    expect(res.stderr).toContain("stage install: command failed");
  });
});

describe("import from an external image", () => {
  const withImport = (project: string, kit: string) => `project: ${project}
configVersion: 1
---
image: app
from: ${base}
import:
- image: ${kit}
  add: /opt/kit
  to: /kit
  after: install
shell:
  install: [echo built > /built.txt]
imageSpec:
  author: ops
  config:
    labels: {"%project%.component": "%image%"}
    removeLabels: [base]
    cmd: [cat, /kit/version, /built.txt]
`;
  const kitFiles = (version: string) => [{ type: "file" as const, path: "/opt/kit/version", mode: 0o644, uid: 0, gid: 0, content: Buffer.from(`${version}\n`) }];

  test("is pinned by its registry digest: moving the tag rebuilds the import, locally and through the registry", async () => {
    const kit = `${registry.host}/tools/kit${++projects}:1`;
    const local = new DockerEngine({ socketPath: engine.socketPath });
    await pushBaseImage(local, kit, kitFiles("kit 1"));
    await local.removeImage(kit);
    const project = `ext${projects}`;
    const app = await gitProject({ "werf.yaml": withImport(project, kit) });
    const first = await slipwayJson(["build", "--dir", app.dir], { env });
    expect(statuses(first)).toMatchObject({ install: "built", importsAfterInstall: "appended", imageSpec: "appended" });
    const ref = first.images[0].ref;
    expect(await docker("run", "--rm", "--network", "none", ref)).toBe("kit 1\nbuilt\n");
    const inspected = JSON.parse(await docker("image", "inspect", ref, "--format", "{{json .}}"));
    expect(inspected.Author).toBe("ops");
    expect(inspected.Config.Labels).toEqual({ [`${project}.component`]: "app" });

    await pushBaseImage(local, kit, kitFiles("kit 2"));
    const plan = await slipwayJson(["plan", "--dir", app.dir], { env });
    expect(statuses(plan)).toMatchObject({ install: "local", importsAfterInstall: "missing" });

    await using node = await testEngine();
    const nodeEnv = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-") };
    const repo = `${registry.host}/${project}`;
    const bp = await slipwayJson(["bp", repo, "--with-stages", "--tag", "main", "--dir", app.dir], { env: nodeEnv });
    expect(statuses(bp)).toMatchObject({ importsAfterInstall: "appended", imageSpec: "appended" });
    await local.pull(`${repo}/app:main`);
    expect(await docker("run", "--rm", "--network", "none", `${repo}/app:main`)).toBe("kit 2\nbuilt\n");
  });
});

describe("git url: a remote repository mapped into the image", () => {
  test("is cloned, hashed like local files, visible to install, and refetched when it moves", async () => {
    const lib = await gitProject({ "src/lib.txt": "lib 1\n" });
    const bare = `${await scratchDir("slipway-bare-")}/lib.git`;
    await run("git", ["clone", "--bare", "--quiet", lib.dir, bare]);
    const app = await gitProject({
      "werf.yaml": `project: remote${++projects}
configVersion: 1
---
image: app
from: ${base}
git:
- url: file://${bare}
  branch: main
  add: /src
  to: /vendor
- add: /
  to: /app
  excludePaths: [werf.yaml]
shell:
  install: ["cat /vendor/lib.txt > /seen.txt"]
docker:
  CMD: [cat, /seen.txt, /vendor/lib.txt, /app/main.txt]
`,
      "main.txt": "main\n",
    });
    const first = await slipwayJson(["build", "--dir", app.dir], { env });
    expect(await docker("run", "--rm", "--network", "none", first.images[0].ref)).toBe("lib 1\nlib 1\nmain\n");
    await lib.write({ "src/lib.txt": "lib 2\n" });
    await lib.commit();
    await lib.git("push", "-q", bare, "main");
    const second = await slipwayJson(["build", "--dir", app.dir], { env });
    expect(statuses(second)).toMatchObject({ install: "local", gitLatest: "appended" });
    expect(await docker("run", "--rm", "--network", "none", second.images[0].ref)).toBe("lib 1\nlib 2\nmain\n");
  });
});

describe("dependencies: another image's name for the commands", () => {
  test("install sees the dependency's stage name locally and the registry's through bp; the image config never holds it", async () => {
    const project = `deps${++projects}`;
    const app = await gitProject({
      "werf.yaml": `project: ${project}
configVersion: 1
---
image: backend
from: ${base}
shell:
  install: [echo backend > /backend.txt]
---
image: app
from: ${base}
dependencies:
- image: backend
  before: install
  imports:
  - type: ImageName
    targetEnv: BACKEND_IMAGE
  - type: ImageTag
    targetEnv: BACKEND_TAG
shell:
  install: ['echo "$BACKEND_IMAGE $BACKEND_TAG" > /deps.txt']
docker:
  CMD: [cat, /deps.txt]
`,
    });
    const local = await slipwayJson(["build", "--dir", app.dir], { env });
    const backend = local.images.find((i) => i.name === "backend")!.digest;
    const appRef = local.images.find((i) => i.name === "app")!.ref;
    expect(await docker("run", "--rm", "--network", "none", appRef)).toBe(`${stageRef(project, backend)} ${backend}\n`);
    const config = JSON.parse(await docker("image", "inspect", appRef, "--format", "{{json .Config.Env}}"));
    expect(config.join(" ")).not.toContain("BACKEND");

    await using node = await testEngine();
    const repo = `${registry.host}/${project}`;
    const nodeEnv = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-") };
    const bp = await slipwayJson(["bp", repo, "--with-stages", "--tag", "main", "--dir", app.dir], { env: nodeEnv });
    expect(bp.images.find((i) => i.name === "backend")!.digest).toBe(backend);
    await new DockerEngine({ socketPath: engine.socketPath }).pull(`${repo}/app:main`);
    expect(await docker("run", "--rm", "--network", "none", `${repo}/app:main`)).toBe(`${repo}:stage-${backend} stage-${backend}\n`);
  });
});
