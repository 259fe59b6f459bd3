import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ErrorDocument } from "../../../src/cli/error-document.ts";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { slipway } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { type BuildWorld, buildWorld, scratchDir } from "../../support/services.ts";

// A failed command with --json prints one error document on stdout, the human message on
// stderr, and keeps its exit code: 2 for config and usage, 1 for builds and registries.

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

async function failing(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; doc: ErrorDocument; stderr: string }> {
  const res = await slipway([...args, "--json"], { env: { ...env, ...extraEnv } });
  return { code: res.code, doc: JSON.parse(res.stdout) as ErrorDocument, stderr: res.stderr };
}

describe("--json errors", () => {
  test("a config with three problems: exit 2, one document listing all three with file, line and column", async () => {
    const app = await gitProject({ "werf.yaml": "project: p\nconfigVersion: 1\n---\nimage: a\nfrom: x\nplatform: [linux/arm64]\nshell:\n  install: [\"echo a\\0b\"]\nnetwork: maybe\n" });
    const { code, doc, stderr } = await failing(["plan", "--dir", app.dir]);
    expect(code).toBe(2);
    expect(doc.error).toMatchObject({ code: "config", kind: "config", name: "ConfigError", exitCode: 2, file: "werf.yaml", line: 6, column: 1 });
    expect(doc.error.problems.map((p) => [p.file, p.line, p.column, p.field])).toEqual([
      ["werf.yaml", 6, 1, "platform"],
      ["werf.yaml", 8, 13, "shell.install[0]"],
      ["werf.yaml", 9, 10, "network"],
    ]);
    expect(stderr.trim().split("\n")).toEqual(doc.error.problems.map((p) => `slipway: ${p.message}`));
  });

  test("invalid UTF-8 in a command is a config error at plan time, nothing runs", async () => {
    const app = await gitProject({});
    await writeFile(join(app.dir, "slipway.yaml"), Buffer.concat([Buffer.from(`image: a\nfrom: ${base}\nshell:\n  install: echo caf`), Buffer.from([0xe9, 0x0a])]));
    const { code, doc } = await failing(["build", "--dir", app.dir]);
    expect(code).toBe(2);
    expect(doc.error).toMatchObject({ code: "config", file: "slipway.yaml", line: 4, column: 20 });
  });

  test("a usage error: exit 2 and a usage document", async () => {
    const { code, doc, stderr } = await failing(["plan", "--no-such-flag"]);
    expect(code).toBe(2);
    expect(stderr).toBe("slipway: unknown option '--no-such-flag'\n");
    expect(doc.error).toMatchObject({ code: "usage", kind: "usage", exitCode: 2, message: "unknown option '--no-such-flag'" });
    expect(doc.error.problems).toHaveLength(1);
  });

  test("a failing command: exit 1 and a build document naming image and stage", async () => {
    const app = await gitProject({ "slipway.yaml": `project: fails\nconfigVersion: 1\n---\nimage: app\nfrom: ${base}\nshell:\n  install: [exit 7]\n` });
    const { code, doc } = await failing(["build", "--dir", app.dir]);
    expect(code).toBe(1);
    expect(doc.error).toMatchObject({ code: "build", kind: "build", name: "BuildError", exitCode: 1, image: "app", stage: "install", file: null, line: null });
  });

  test("a base image the registry does not have is the registry's error, with or without an engine", async () => {
    const app = await gitProject({ "slipway.yaml": `project: nobase\nconfigVersion: 1\n---\nimage: app\nfrom: ${registry.host}/base/missing:1\nshell:\n  install: [true]\n` });
    const noEngine = { DOCKER_HOST: `unix://${await scratchDir()}/no-docker.sock` };
    for (const [args, extra] of [[["plan"], {}], [["build"], {}], [["plan"], noEngine], [["bp", `${registry.host}/nobase`, "--tag", "main"], noEngine]] as const) {
      const { code, doc, stderr } = await failing([...args, "--dir", app.dir], extra);
      expect(code, stderr).toBe(1);
      expect(doc.error).toMatchObject({ code: "MANIFEST_UNKNOWN", kind: "registry", name: "RegistryError", status: 404 });
      expect(doc.error.message).toContain(`${registry.host}/base/missing:1`);
      expect(stderr).not.toMatch(/ENOENT|ECONNREFUSED|socket/);
    }
  });
});
