/**
 * Build secrets (werf `secrets:`) and the ssh agent on a real engine and registry: the
 * value reaches the commands of user stages, and is in no pushed blob, config, label,
 * report, dotenv file or log line; rotating it rebuilds nothing unless asked to; the
 * agent socket answers from the commands and leaves nothing in the layer.
 */
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { slipway, statuses } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { everyBlob } from "../../support/registry-blobs.ts";
import { type BuildWorld, buildWorld, scratchDir } from "../../support/services.ts";
import { fileTree } from "../dockerfile/support.ts";
import { pullAndRun } from "../distributed/support.ts";
import type { BuildReport } from "../../../src/build/report.ts";
import { unixClientBase } from "../../support/unix-client.ts";

let world: BuildWorld;
beforeAll(async () => {
  world = await buildWorld();
});
afterAll(() => world?.stop());

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

function config(base: string, extra = "") {
  return `project: secrets\nconfigVersion: 1\n---\nimage: app\nfrom: ${base}\nsecrets:\n- env: NPM_TOKEN\n- id: key\n  src: key.txt\n${extra}shell:\n  install:\n  - sha256sum /run/secrets/NPM_TOKEN | cut -d' ' -f1 > /token.sha\n  - cat /run/secrets/key > /dev/null && echo "key seen" > /key.txt\n  - echo "the token is $(cat /run/secrets/NPM_TOKEN)"\n  - ls -la /run/secrets/\n  setup:\n  - test -r /run/secrets/key && echo setup-sees-key > /setup.txt\ndocker:\n  CMD: [cat, /token.sha, /key.txt, /setup.txt]\n`;
}

async function bp(dir: string, repo: string, token: string, extra: string[] = []) {
  const out = await scratchDir("slipway-out-");
  const res = await slipway(["bp", repo, "--dir", dir, "--tag", "v1", "--json", "--report", join(out, "report.json"), "--dotenv", join(out, "build.env"), ...extra], {
    env: { ...world.env, NPM_TOKEN: token },
  });
  return { ...res, report: res.code === 0 ? (JSON.parse(res.stdout) as BuildReport) : undefined, files: [await readFile(join(out, "report.json"), "utf8").catch(() => ""), await readFile(join(out, "build.env"), "utf8").catch(() => "")] };
}

describe("secrets: in stapel user stages", () => {
  test("the commands read the secrets; no blob, config, report, dotenv or log line holds them; rotation rebuilds nothing", async () => {
    const token = "npm_Tok3n-0f-the-test-9f8e7d";
    const key = "-----KEY MATERIAL 1a2b3c-----";
    const app = await gitProject({ "werf.yaml": config(world.base), "key.txt": `${key}\n` });
    const repo = `${world.registry.host}/secrets`;
    const first = await bp(app.dir, repo, token);
    expect(first.code, first.stderr).toBe(0);
    expect(statuses(first.report!)).toMatchObject({ install: "built", setup: "built" });
    expect(await pullAndRun(world.engine.socketPath, `${repo}/app:v1`)).toBe(`${sha(token)}\nkey seen\nsetup-sees-key\n`);
    // The value was echoed by a command: the log shows it masked.
    expect(first.stderr).toContain("the token is ****");
    for (const text of [first.stdout, first.stderr, ...first.files]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(key);
    }
    const blobs = await everyBlob(world.registry);
    expect(blobs.length).toBeGreaterThan(4);
    for (const blob of blobs) {
      expect(blob.data.includes(token), blob.name).toBe(false);
      expect(blob.data.includes(key), blob.name).toBe(false);
    }
    // Mount points leave nothing: the base has no /run, and the image has none either.
    const tree = await fileTree(world.engine.socketPath, `${repo}/app:v1`);
    expect(Object.keys(tree).filter((p) => p.startsWith("run"))).toEqual([]);

    const rotated = await bp(app.dir, repo, "a-new-token-after-rotation");
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.report!.totals.containersRun).toBe(0);
  });

  test("rebuildOnChange: rotating that secret rebuilds the stages that see it, with only a salted hash in the labels", async () => {
    const app = await gitProject({ "werf.yaml": config(world.base).replace("- env: NPM_TOKEN\n", "- env: NPM_TOKEN\n  rebuildOnChange: true\n"), "key.txt": "k\n" });
    const repo = `${world.registry.host}/secrets-rotate`;
    const token = "rotating-token-11111";
    expect((await bp(app.dir, repo, token)).code).toBe(0);
    const same = await bp(app.dir, repo, token);
    expect(same.report!.totals.containersRun).toBe(0);
    const rotated = await bp(app.dir, repo, "rotating-token-22222");
    expect(statuses(rotated.report!)).toMatchObject({ install: "built", setup: "built" });
    for (const blob of await everyBlob(world.registry)) expect(blob.data.includes("rotating-token"), blob.name).toBe(false);
  });

  test("a missing secret: exit 2 naming the id at its line, nothing published", async () => {
    const app = await gitProject({ "werf.yaml": config(world.base) });
    const repo = `${world.registry.host}/secrets-missing`;
    const res = await slipway(["bp", repo, "--dir", app.dir, "--tag", "v1"], { env: { ...world.env, NPM_TOKEN: "x" } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('werf.yaml:8:3: secrets: secret "key": file key.txt does not exist');
    const noEnv = await slipway(["bp", repo, "--dir", app.dir, "--tag", "v1"], { env: { ...world.env, NPM_TOKEN: undefined } });
    expect(noEnv.code).toBe(2);
    expect(noEnv.stderr).toContain('secret "NPM_TOKEN": environment variable NPM_TOKEN is not set');
    const tags = await fetch(`http://${world.registry.host}/v2/secrets-missing/tags/list`);
    expect(tags.status).toBe(404);
  });
});

/** A stand-in ssh agent: answers every request with a fixed reply, counting connections. */
async function fakeAgent(): Promise<{ path: string; server: Server; connections: () => number }> {
  const path = join(await scratchDir("slipway-agent-"), "agent.sock");
  let n = 0;
  const server = createServer((c) => {
    n++;
    c.on("data", () => c.end("agent-says-hello\n"));
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { path, server, connections: () => n };
}

describe("--ssh default: the agent in user stages", () => {
  test("the commands reach the agent at $SSH_AUTH_SOCK; the socket is in no layer and no digest", async () => {
    const agent = await fakeAgent();
    const base = await unixClientBase(world);
    try {
      const yaml = `project: ssh\nconfigVersion: 1\n---\nimage: app\nfrom: ${base}\nshell:\n  install:\n  - test -S "$SSH_AUTH_SOCK"\n  - unix-client "$SSH_AUTH_SOCK" > /agent.txt\ndocker:\n  CMD: [cat, /agent.txt]\n`;
      const app = await gitProject({ "werf.yaml": yaml });
      const repo = `${world.registry.host}/ssh`;
      const res = await slipway(["bp", repo, "--dir", app.dir, "--tag", "v1", "--json", "--ssh", "default"], { env: { ...world.env, SSH_AUTH_SOCK: agent.path } });
      expect(res.code, res.stderr).toBe(0);
      expect(agent.connections()).toBe(1);
      expect(await pullAndRun(world.engine.socketPath, `${repo}/app:v1`)).toBe("agent-says-hello\n");
      const tree = await fileTree(world.engine.socketPath, `${repo}/app:v1`);
      expect(Object.keys(tree).filter((p) => p.startsWith("run"))).toEqual([]);
      // The same build without the agent has the same digests: the socket is no input.
      const plan = JSON.parse((await slipway(["plan", "--dir", app.dir, "--json"], { env: world.env })).stdout) as BuildReport;
      expect(plan.images[0].digest).toBe((JSON.parse(res.stdout) as BuildReport).images[0].digest);
    } finally {
      agent.server.close();
    }
  });

  test("--ssh with no agent: exit 2", async () => {
    const app = await gitProject({ "werf.yaml": `project: ssh\nconfigVersion: 1\n---\nimage: app\nfrom: ${world.base}\n` });
    const res = await slipway(["build", "--dir", app.dir, "--ssh", "default"], { env: { ...world.env, SSH_AUTH_SOCK: undefined } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/SSH_AUTH_SOCK is not set/);
    await writeFile(join(app.dir, "not-a-socket"), "");
    const file = await slipway(["build", "--dir", app.dir, "--ssh", `default=${join(app.dir, "not-a-socket")}`], { env: world.env });
    expect(file.code).toBe(2);
  });
});
