import { existsSync } from "node:fs";
import { chmod, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLocalFleet } from "../../../src/fleet/local/provider.ts";
import { scratchDir } from "../../support/services.ts";
import { anyAlive, nodePids, waitForNode } from "./support.ts";

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000);

async function fleetWith(jobCommand: string | undefined) {
  const home = await scratchDir("slipway-home-");
  const lines: string[] = [];
  const fleet = createLocalFleet({
    home,
    bootstrap: { jobCommand, baseEnv: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } },
    log: (_id, line) => lines.push(line),
  });
  return { home, lines, fleet };
}

describe("local fleet (real private engines)", () => {
  it("runs the job against the node's own engine, then leaves no process and no data root", async () => {
    const { home, lines, fleet } = await fleetWith('/usr/bin/docker info --format "engine={{.Driver}} root={{.DockerRootDir}}" && echo "job=$CI_JOB_ID"');
    await using _ = fleet;
    const node = await fleet.launch({ jobId: 11, projectId: 1, expiresAt: inMinutes(5) });
    expect(node.state).toBe("launching");
    const running = await waitForNode(home, 11, (n) => n.state !== "launching");
    const pids = await nodePids(running);
    await fleet.idle();
    const done = (await fleet.list()).find((n) => n.id === node.id);
    expect(done?.state).toBe("terminated");
    expect(done?.reason).toBe("job-finished (exit 0)");
    expect(lines).toContain("job=11");
    expect(lines.some((l) => l.includes(`root=${join(running.root, "engine", "data")}`))).toBe(true);
    expect(existsSync(running.root)).toBe(false);
    expect(anyAlive(pids)).toBe(false);
    expect(await readdir(join(home, "nodes"))).toEqual([]);
  });

  it("ends a node at its lifetime even while its job still runs", async () => {
    const { home, fleet } = await fleetWith("sleep 600");
    await using _ = fleet;
    await fleet.launch({ jobId: 12, projectId: 1, expiresAt: new Date(Date.now() + 4_000) });
    const running = await waitForNode(home, 12, (n) => n.state === "running");
    const pids = await nodePids(running);
    expect(pids).toHaveLength(2);
    const done = await waitForNode(home, 12, (n) => n.state === "terminated", 30_000);
    expect(done.reason).toBe("lifetime");
    expect(anyAlive(pids)).toBe(false);
    expect(existsSync(running.root)).toBe(false);
  });

  it("tears a node down when its runner cannot start", async () => {
    const { home, fleet } = await fleetWith(undefined);
    await using _ = fleet;
    const node = await fleet.launch({ jobId: 13, projectId: 1, expiresAt: inMinutes(5) });
    await fleet.idle();
    const done = (await fleet.list()).find((n) => n.id === node.id);
    expect(done?.state).toBe("terminated");
    expect(done?.reason).toMatch(/^runner-failed/);
    expect(existsSync(join(home, "nodes", node.id))).toBe(false);
  });

  it("runs gitlab-runner run-single with the per-job runner's token in the environment when gitlab-runner is on PATH", async () => {
    const bin = await scratchDir("slipway-bin-");
    // A stand-in for gitlab-runner: prints how it was called and uses the node's engine.
    await writeFile(join(bin, "gitlab-runner"), '#!/bin/sh\necho "args=$*"\necho "token=$CI_SERVER_TOKEN"\n/usr/bin/docker info --format "driver={{.Driver}}"\n');
    await chmod(join(bin, "gitlab-runner"), 0o755);
    const home = await scratchDir("slipway-home-");
    const lines: string[] = [];
    await using fleet = createLocalFleet({
      home,
      bootstrap: { gitlabUrl: "https://gitlab.example", jobCommand: "false", baseEnv: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin` } },
      log: (_id, line) => lines.push(line),
    });
    await fleet.launch({ jobId: 15, projectId: 1, expiresAt: inMinutes(5), runner: { id: 9, token: "glrt-per-job" } });
    await fleet.idle();
    expect(lines).toContain("token=glrt-per-job");
    expect(lines.find((l) => l.startsWith("args="))).toMatch(/^args=run-single --url https:\/\/gitlab.example --executor shell --max-builds 1 --wait-timeout \d+ /);
    expect(lines.join("\n")).not.toMatch(/args=.*glrt-per-job/);
    expect(lines, lines.join("\n")).toContain("driver=overlay2");
    expect((await fleet.list())[0]).toMatchObject({ state: "terminated", reason: "job-finished (exit 0)" });
  });

  it("launching twice for one job gives one node; terminate ends it early", async () => {
    const { home, fleet } = await fleetWith("sleep 600");
    await using _ = fleet;
    const [a, b] = await Promise.all([
      fleet.launch({ jobId: 14, projectId: 1, expiresAt: inMinutes(5) }),
      fleet.launch({ jobId: 14, projectId: 1, expiresAt: inMinutes(5) }),
    ]);
    expect(a.id).toBe(b.id);
    const running = await waitForNode(home, 14, (n) => n.state === "running");
    const pids = await nodePids(running);
    await fleet.terminate(a.id, "reaped");
    const done = (await fleet.list()).filter((n) => n.jobId === 14);
    expect(done.map((n) => [n.state, n.reason])).toEqual([["terminated", "reaped"]]);
    expect(anyAlive(pids)).toBe(false);
  });
});
