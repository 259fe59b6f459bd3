import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, stopProcess, waitFor } from "../../../src/util/process.ts";
import { scratchDir } from "../../support/services.ts";
import { apiJob, startGitLabFake } from "../../unit/fleet/support/gitlab-server.ts";
import { anyAlive, nodePids, waitForNode } from "./support.ts";

const ENTRY = fileURLToPath(new URL("./cli-entry.ts", import.meta.url));
const TSX = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));
const pending = await readFile(new URL("../../fixtures/events/job-pending.json", import.meta.url), "utf8");
const event = (jobId: number) => JSON.stringify({ ...JSON.parse(pending), build_id: jobId });

let gitlab: Awaited<ReturnType<typeof startGitLabFake>>;
let serve: ChildProcess;
let env: Record<string, string>;
let url: string;
const stderr: string[] = [];

const cli = (...args: string[]) => run(TSX, [ENTRY, ...args], { env: { ...process.env, ...env } });
const post = (body: string, token?: string) =>
  fetch(`${url}/webhook`, { method: "POST", body, headers: { "content-type": "application/json", ...(token ? { "x-gitlab-token": token } : {}) } });

beforeAll(async () => {
  gitlab = await startGitLabFake();
  const port = 20000 + Math.floor(Math.random() * 20000);
  url = `http://127.0.0.1:${port}`;
  env = {
    SLIPWAY_HOME: await scratchDir("slipway-home-"),
    SLIPWAY_WEBHOOK_SECRET: "hook-secret",
    SLIPWAY_FLEET: "local",
    GITLAB_URL: gitlab.url,
    GITLAB_TOKEN: gitlab.token,
    SLIPWAY_RUNNER_TAGS: "slipway",
    SLIPWAY_MAX_NODES: "4",
    SLIPWAY_NODE_TTL: "90m",
    SLIPWAY_JOB_COMMAND: 'if [ "$CI_JOB_ID" = 2001 ]; then /usr/bin/docker version --format "server={{.Server.Version}}"; else sleep 600; fi',
    SLIPWAY_REAPER_EVERY: "1h",
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
  };
  serve = spawn(TSX, [ENTRY, "functions", "serve", "--port", String(port)], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  serve.stderr?.on("data", (b: Buffer) => stderr.push(b.toString()));
  await waitFor("functions serve", async () => (await fetch(`${url}/webhook`).catch(() => undefined))?.status === 405, 30_000);
}, 60_000);

afterAll(async () => {
  if (serve) await stopProcess(serve, 30_000);
  await gitlab?.close();
}, 60_000);

/** One raw HTTP/1.1 exchange; the status of the answer (undefined if the server just closed). */
function rawStatus(request: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const { port } = new URL(url);
    let got = "";
    const socket = net.connect(Number(port), "127.0.0.1", () => socket.write(request));
    socket.on("data", (c) => {
      got += c.toString("latin1");
      if (got.includes("\r\n")) socket.destroy();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      resolve(m ? Number(m[1]) : undefined);
    });
  });
}

describe("slipway functions serve with the local fleet", () => {
  it("answers odd requests with 405 and 400 before looking at the token, and calls nobody", async () => {
    const calls = gitlab.requests.length;
    const token = "x-gitlab-token: hook-secret\r\n";
    for (const path of ["/webhook", "/anything"]) expect(await rawStatus(`TRACE ${path} HTTP/1.1\r\nhost: x\r\n${token}\r\n`)).toBe(405);
    expect(await rawStatus(`CONNECT 127.0.0.1:80 HTTP/1.1\r\nhost: x\r\n\r\n`)).toBe(405);
    const body = event(2999);
    expect(await rawStatus(`POST http://[::1/webhook HTTP/1.1\r\nhost: x\r\n${token}content-length: ${body.length}\r\n\r\n${body}`)).toBe(400);
    expect(gitlab.requests.length).toBe(calls);
  });

  it("answers 401 without the secret and launches nothing", async () => {
    gitlab.setJob(380, apiJob({ id: 2000 }));
    expect((await post(event(2000))).status).toBe(401);
    expect((await post(event(2000), "wrong")).status).toBe(401);
    const ls = await cli("fleet", "ls", "--json");
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([]);
  });

  it("turns duplicate deliveries into one node that runs its job against its engine and is gone after it", async () => {
    gitlab.setJob(380, apiJob({ id: 2001 }));
    const statuses = await Promise.all([1, 2, 3].map(() => post(event(2001), "hook-secret").then((r) => r.status)));
    expect(statuses.sort()).toEqual([200, 200, 202]);
    const node = await waitForNode(env.SLIPWAY_HOME, 2001, (n) => n.state === "terminated", 60_000);
    expect(node.reason).toBe("job-finished (exit 0)");
    expect(stderr.join("")).toMatch(/server=20\.10/);
    expect(existsSync(node.root)).toBe(false);
    const ls = JSON.parse((await cli("fleet", "ls", "--json")).stdout) as Array<Record<string, unknown>>;
    expect(ls.filter((n) => n.jobId === 2001)).toEqual([{ id: node.id, jobId: 2001, state: "terminated", launchedAt: node.launchedAt }]);
  }, 90_000);

  it("lets `functions run reaper` in another process end a node whose job finished", async () => {
    gitlab.setJob(380, apiJob({ id: 2002 }));
    expect((await post(event(2002), "hook-secret")).status).toBe(202);
    const running = await waitForNode(env.SLIPWAY_HOME, 2002, (n) => n.state === "running", 60_000);
    const pids = await nodePids(running);
    const ls = JSON.parse((await cli("fleet", "ls", "--json")).stdout) as Array<Record<string, unknown>>;
    expect(ls.find((n) => n.jobId === 2002)?.state).toBe("running");
    gitlab.setJob(380, apiJob({ id: 2002, status: "canceled", finished_at: new Date(Date.now() - 600_000).toISOString() }));
    const reaped = await cli("functions", "run", "reaper");
    expect(reaped.code).toBe(0);
    expect(JSON.parse(reaped.stdout).terminated).toEqual([{ id: running.id, jobId: 2002, reason: "job-canceled" }]);
    expect(anyAlive(pids)).toBe(false);
    expect(existsSync(running.root)).toBe(false);
  }, 90_000);

  it("ignores a job whose tags the fleet does not serve", async () => {
    gitlab.setJob(380, apiJob({ id: 2003, tag_list: ["gpu"] }));
    expect((await post(event(2003), "hook-secret")).status).toBe(202);
    await new Promise((r) => setTimeout(r, 500));
    expect(stderr.join("")).toMatch(/"event":"launcher.skipped","jobId":2003/);
    const ls = JSON.parse((await cli("fleet", "ls", "--json")).stdout) as Array<Record<string, unknown>>;
    expect(ls.some((n) => n.jobId === 2003)).toBe(false);
  });

  it("stops every node when the server stops", async () => {
    gitlab.setJob(380, apiJob({ id: 2004 }));
    expect((await post(event(2004), "hook-secret")).status).toBe(202);
    const running = await waitForNode(env.SLIPWAY_HOME, 2004, (n) => n.state === "running", 60_000);
    const pids = await nodePids(running);
    await stopProcess(serve, 30_000);
    const done = await waitForNode(env.SLIPWAY_HOME, 2004, () => true);
    expect(done.state).toBe("terminated");
    expect(anyAlive(pids)).toBe(false);
    expect(existsSync(running.root)).toBe(false);
  }, 90_000);
});
