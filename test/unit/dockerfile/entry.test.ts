import { symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadProject, parseBuildArgs } from "../../../src/dockerfile/entry.ts";
import { ConfigError, UsageError } from "../../../src/errors.ts";
import { scratchDir } from "../../support/services.ts";

describe("which project a command builds", () => {
  test("--build-arg NAME=VALUE, and NAME alone from the environment (left out when unset)", () => {
    expect(parseBuildArgs(["A=1", "B=x=y", "C", "D"], { C: "from-env" })).toEqual({ A: "1", B: "x=y", C: "from-env" });
    expect(() => parseBuildArgs(["=x"], {})).toThrow(UsageError);
  });

  test("a Dockerfile alone is a nameless image named after the directory; a config file wins and refuses Dockerfile flags", async () => {
    const dir = await scratchDir("slipway-entry-");
    await writeFile(join(dir, "Dockerfile"), "FROM base\nCMD [\"x\"]\n");
    const project = await loadProject({ dir, target: undefined, buildArg: ["X=1"] }, {});
    expect(project.images.map((i) => i.name)).toEqual([""]);
    expect(project.images[0].dockerfile?.steps.map((s) => s.label)).toEqual(["FROM#1 base", 'CMD#2 ["x"]']);
    await writeFile(join(dir, "slipway.yaml"), "image: app\nfrom: base\n");
    expect((await loadProject({ dir }, {})).images.map((i) => i.name)).toEqual(["app"]);
    await expect(loadProject({ dir, buildArg: ["X=1"] }, {})).rejects.toThrow(/--build-arg: only for a project without a config file/);
  });

  test("neither a config file nor a Dockerfile is a config error; --network takes none or default", async () => {
    const empty = await scratchDir("slipway-entry-");
    await expect(loadProject({ dir: empty }, {})).rejects.toThrow(ConfigError);
    await writeFile(join(empty, "Dockerfile"), "FROM base\n");
    await expect(loadProject({ dir: empty, network: "host" }, {})).rejects.toThrow(/--network host: expected default or none/);
  });

  test("a dockerfile: image whose Dockerfile is missing or outside the project is refused at its line in the config", async () => {
    const dir = await scratchDir("slipway-entry-");
    const outside = await scratchDir("slipway-entry-outside-");
    await writeFile(join(outside, "Dockerfile"), "root:x:0:0:root:/root:/bin/sh\n");
    const config = (dockerfile: string) => `project: p\nconfigVersion: 1\n---\nimage: a\ndockerfile: ${dockerfile}\n`;
    await writeFile(join(dir, "werf.yaml"), config("nope/Dockerfile"));
    await expect(loadProject({ dir }, {})).rejects.toMatchObject({
      name: "ConfigError", file: "werf.yaml", line: 5, field: "dockerfile", detail: expect.stringMatching(/nope\/Dockerfile does not exist/),
    });
    await writeFile(join(dir, "werf.yaml"), config(join("..", outside.split("/").at(-1) ?? "", "Dockerfile")));
    const err: unknown = await loadProject({ dir }, {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "ConfigError", file: "werf.yaml", line: 5, field: "dockerfile", detail: expect.stringMatching(/inside the project/) });
    expect(String(err)).not.toMatch(/root:x/);
    await symlink(join(outside, "Dockerfile"), join(dir, "Dockerfile.link"));
    await writeFile(join(dir, "werf.yaml"), config("Dockerfile.link"));
    await expect(loadProject({ dir }, {})).rejects.toMatchObject({ field: "dockerfile", detail: expect.stringMatching(/inside the project/) });
  });
});
