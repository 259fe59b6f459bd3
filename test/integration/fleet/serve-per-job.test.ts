import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it, vi } from "vitest";
import { stopProcess, waitFor } from "../../../src/util/process.ts";
import { scratchDir } from "../../support/services.ts";
import { apiJob, startGitLabFake } from "../../unit/fleet/support/gitlab-server.ts";
import { anyAlive, nodePids, waitForNode } from "./support.ts";

const ENTRY = fileURLToPath(new URL("./cli-entry.ts", import.meta.url));
const TSX = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));
const pending = JSON.parse(await readFile(new URL("../../fixtures/events/job-pending.json", import.meta.url), "utf8"));

it("per-job mode: a runner for exactly the job's tags, its token on the node, the node gone at SLIPWAY_NODE_TTL, the runner deleted", async () => {
  await using gitlab = await startGitLabFake();
  gitlab.setJob(380, apiJob({ id: 3001, tag_list: ["slipway", "slipway-3001"] }));
  const bin = await scratchDir("slipway-bin-");
  // gitlab-runner stand-in: shows the token it got, then waits for a job that never comes.
  await writeFile(join(bin, "gitlab-runner"), '#!/bin/sh\necho "runner token=$CI_SERVER_TOKEN"\nexec sleep 600\n');
  await chmod(join(bin, "gitlab-runner"), 0o755);
  const home = await scratchDir("slipway-home-");
  const port = 20000 + Math.floor(Math.random() * 20000);
  const env = {
    ...process.env, SLIPWAY_HOME: home, SLIPWAY_WEBHOOK_SECRET: "hook-secret", GITLAB_URL: gitlab.url, GITLAB_TOKEN: gitlab.token,
    SLIPWAY_MODE: "per-job", SLIPWAY_NODE_TTL: "4s", SLIPWAY_REAPER_EVERY: "1s", SLIPWAY_RUNNER_GRACE: "1s", PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`,
  };
  const stderr: string[] = [];
  const serve = spawn(TSX, [ENTRY, "functions", "serve", "--port", String(port)], { env, stdio: ["ignore", "ignore", "pipe"] });
  serve.stderr?.on("data", (b: Buffer) => stderr.push(b.toString()));
  try {
    await waitFor("functions serve", async () => (await fetch(`http://127.0.0.1:${port}/webhook`).catch(() => undefined))?.status === 405, 30_000);
    const res = await fetch(`http://127.0.0.1:${port}/webhook`, { method: "POST", headers: { "x-gitlab-token": "hook-secret" }, body: JSON.stringify({ ...pending, build_id: 3001 }) });
    expect(res.status).toBe(202);
    const running = await waitForNode(home, 3001, (n) => n.state === "running");
    const pids = await nodePids(running);
    const [[runnerId, runner]] = [...gitlab.runners];
    expect(runner).toMatchObject({ tag_list: "slipway,slipway-3001", run_untagged: "false", project_id: "380" });
    await vi.waitFor(() => expect(stderr.join("")).toContain(`runner token=glrt-${runnerId}`), { timeout: 5_000 });
    const done = await waitForNode(home, 3001, (n) => n.state === "terminated", 30_000);
    expect(done.reason).toBe("lifetime");
    expect(anyAlive(pids)).toBe(false);
    expect(existsSync(running.root)).toBe(false);
    await vi.waitFor(() => expect(gitlab.runners.size).toBe(0), { timeout: 10_000 });
  } finally {
    await stopProcess(serve, 30_000);
  }
}, 90_000);
