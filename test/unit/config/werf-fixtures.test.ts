/**
 * werf's own public fixtures (the source is named at the top of each file), parsed and
 * planned: the v2 directives, the file visibility and the refusals they exercise.
 */
import { cp } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { planProject } from "../../../src/build/plan.ts";
import { applyImageSpec } from "../../../src/build/stages/image-spec.ts";
import { loadConfig } from "../../../src/config/load.ts";
import type { ProjectConfig } from "../../../src/config/types.ts";
import type { Engine } from "../../../src/engine/types.ts";
import { ConfigError } from "../../../src/errors.ts";
import { gitProject } from "../../support/project.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/configs");
const named = (c: ProjectConfig, name: string) => c.images.find((i) => i.name === name)!;

async function plan(name: string) {
  const project = await gitProject({});
  await cp(join(FIXTURES, name), project.dir, { recursive: true });
  await project.commit("fixture");
  const config = await loadConfig({ dir: project.dir, env: {} });
  const planned = await planProject(config, [], { engine: {} as Engine, buildDir: "/tmp/slipway-fixtures", resolveBase: async () => `sha256:${"c".repeat(64)}` });
  return { config, planned, stages: (image: string) => planned.images.find((i) => i.image.name === image)!.stages.map((s) => s.name) };
}

describe("werf's public fixtures", () => {
  test("user stages that only run `date`: werf view, stageDependencies given as strings", async () => {
    const { config, stages } = await plan("werf-user-stages-noop");
    expect(named(config, "image").git[0]).toMatchObject({ add: "/", to: "/app", stageDependencies: { install: ["install"], beforeSetup: ["beforeSetup"], setup: ["setup"] } });
    expect(named(config, "image").gitVisibility).toBe("werf");
    expect(stages("image")).toEqual(["from", "beforeInstall", "gitArchive", "install", "beforeSetup", "setup", "gitLatest"]);
  });

  test("complex stapel images: fromImage chain, numeric owners, import with trailing slashes", async () => {
    const { config, stages } = await plan("werf-e2e-stapel-shell");
    const shell = named(config, "stapel-shell");
    expect(shell).toMatchObject({ fromImage: "base-stapel-shell", fromCacheVersion: "1", shell: { cacheVersion: "1", stageCacheVersions: { install: "1", setup: "1" } } });
    expect(shell.imports[0]).toMatchObject({ from: "base-stapel-shell", fromKind: "image", add: "/basedir", to: "/basedir-imported", owner: "1060", stage: "beforeInstall" });
    expect(shell.docker).toMatchObject({ user: "0:0", entrypoint: ["sh", "-ec"], cmd: ["/bin/sh", "-c", "sleep infinity"], healthcheck: { test: ["CMD-SHELL", "echo healthcheck20"] } });
    expect(stages("stapel-shell")).toEqual(["from", "beforeInstall", "importsBeforeInstall", "gitArchive", "install", "beforeSetup", "setup", "gitLatest", "dockerInstructions"]);
  });

  test("imageSpec mutations as werf's spec_mutation fixture writes them", async () => {
    const { config, stages } = await plan("werf-spec-mutation");
    const base = { Env: ["PATH=/bin", "APP_MODE=dev", "REMOVE=1"], Labels: { pleaseremove: "1", remove_me: "1", keep: "k" }, Volumes: { "/home/remove/me": {}, "/home/app/data": {} }, Cmd: ["sh"] };
    const names = { project: "demo-app", image: "x" };
    const basic = applyImageSpec(base, named(config, "basic-test").imageSpec!, names);
    expect(basic).toMatchObject({
      Env: ["PATH=/bin:/add/path", "ADD=me", "ADD_ANOTHER=me"], Labels: { keep: "k", test: "yes" },
      Volumes: { "/home/app/data": {}, "/test/volume": {}, "/second/test/volume": {} }, ExposedPorts: { "99/tcp": {} },
      User: "testuser", Entrypoint: ["test"], Cmd: ["/bin/sh"], WorkingDir: "/test/work", StopSignal: "SIGINT",
      Healthcheck: { Test: ["curl -f http://localhost/ || exit 1"], Interval: 30e9, Retries: 3 },
    });
    expect(applyImageSpec({ ...base, User: "u", WorkingDir: "/w" }, named(config, "clean-test").imageSpec!, names)).toEqual({ Env: [], Cmd: null, Entrypoint: null });
    expect(applyImageSpec(base, named(config, "cmd-test").imageSpec!, names)).toMatchObject({ Entrypoint: ["/bin/test"], Cmd: null });
    expect(stages("basic-test")).toEqual(["from", "imageSpec"]);
  });

  test("the full complex fixture is refused at its Dockerfile image's dependencies, by name", async () => {
    const err = await loadConfig({ dir: join(FIXTURES, "werf-e2e-complex-refused"), env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/werf\.yaml:19:\d+: dependencies: dependencies of a Dockerfile image .* are not supported/);
  });
});
