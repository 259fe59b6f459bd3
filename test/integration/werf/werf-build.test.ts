import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DockerEngine } from "../../../src/engine/docker.ts";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { stageRef } from "../../../src/build/names.ts";
import { run } from "../../../src/util/process.ts";
import { pushBaseImage } from "../../support/base-image.ts";
import { slipwayJson, statuses } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { scratchDir, testEngine, testRegistry } from "../../support/services.ts";

let engine: PrivateEngine;
let registry: LocalRegistry;
let env: Record<string, string>;
let base: string;
let projects = 0;

beforeAll(async () => {
  [engine, registry] = await Promise.all([testEngine(), testRegistry()]);
  base = `${registry.host}/base/busybox:1`;
  await pushBaseImage(new DockerEngine({ socketPath: engine.socketPath }), base);
  env = { DOCKER_HOST: `unix://${engine.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-") };
});

afterAll(async () => {
  await Promise.all([engine?.stop(), registry?.stop()]);
});

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
