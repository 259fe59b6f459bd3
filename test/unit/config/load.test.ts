import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { ConfigError } from "../../../src/errors.ts";
import { loadConfig } from "../../../src/config/load.ts";
import { scratchDir } from "../../support/services.ts";

const dirs: string[] = [];
async function project(files: Record<string, string>): Promise<string> {
  const dir = await scratchDir("slipway-config-");
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const WERF = "project: from-werf\nconfigVersion: 1\n---\nimage: a\nfrom: alpine\n";
const SLIPWAY = "project: from-slipway\nconfigVersion: 1\n---\nimage: a\nfrom: alpine\n";

describe("loadConfig", () => {
  test("slipway.yaml wins over werf.yaml, werf.yaml over dappfile.yml", async () => {
    const all = await project({ "slipway.yaml": SLIPWAY, "werf.yaml": WERF, "dappfile.yml": "dimg: a\nfrom: x\n" });
    expect((await loadConfig({ dir: all, env: {} })).project).toBe("from-slipway");
    const werf = await project({ "werf.yml": WERF, "dappfile.yml": "dimg: a\nfrom: x\n" });
    const c = await loadConfig({ dir: werf, env: {} });
    expect([c.project, c.file]).toEqual(["from-werf", join(werf, "werf.yml")]);
    const dapp = await project({ "dappfile.yaml": "dimg: a\nfrom: x\n" });
    expect((await loadConfig({ dir: dapp, env: {} })).file).toBe(join(dapp, "dappfile.yaml"));
  });

  test("--config FILE is used as given; errors show it relative to the project dir", async () => {
    const dir = await project({ "werf.yaml": WERF, "ci/other.yaml": "project: other\n---\nimage: a\nfrom: x\nshel: {}\n" });
    const err = await loadConfig({ dir, configFile: join(dir, "ci/other.yaml"), env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe('ci/other.yaml:5:1: shel: unknown key; did you mean "shell"?');
  });

  test("no config file: the error names the directory and the files looked for", async () => {
    const dir = await project({ "README.md": "x" });
    const err = (await loadConfig({ dir, env: {} }).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.file).toBe(dir);
    expect(err.detail).toBe("no config file found (looked for slipway.yaml, slipway.yml, werf.yaml, werf.yml, dappfile.yml, dappfile.yaml)");
  });

  test("an unreadable --config file is a ConfigError", async () => {
    const dir = await project({});
    await expect(loadConfig({ dir, configFile: join(dir, "nope.yaml"), env: {} })).rejects.toBeInstanceOf(ConfigError);
  });

  test("env comes from the options, never from process.env", async () => {
    const dir = await project({ "slipway.yaml": 'project: p\n---\nimage: a\nfrom: "{{ env "PATH" }}x"\n' });
    expect((await loadConfig({ dir, env: { PATH: "alpine:" } })).images[0].from).toBe("alpine:x");
  });
});
