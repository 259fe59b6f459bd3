import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { jobScript } from "../../../src/demo/job-script.ts";
import { formatSummary, summaryRow } from "../../../src/demo/summary.ts";
import { readMarks, startupTimes, TIMING_FILE } from "../../../src/demo/timing.ts";

const T = Date.parse("2026-12-01T22:00:00.000Z");

describe("time to start", () => {
  it("splits Job Hook to job start into four legs that add up", () => {
    const node = { launchedAt: new Date(T + 150).toISOString(), runningAt: new Date(T + 1650).toISOString() };
    const times = startupTimes(T, node, { registered: T + 1700, started: T + 1725 });
    expect(times).toEqual({ webhookToLaunch: 0.15, launchToRunning: 1.5, runningToRegistered: 0.05, registeredToStarted: 0.025, total: 1.725 });
    expect(startupTimes(T, { launchedAt: node.launchedAt }, { registered: T, started: T })).toBeUndefined();
    expect(startupTimes(T, node, { registered: T })).toBeUndefined();
  });

  it("the job script writes both marks in order, before the checkout, even when the checkout fails", async () => {
    const dir = await mkdtemp(join(tmpdir(), "slipway-timing-"));
    try {
      const script = jobScript({
        job: { name: "Build", stage: "build", tags: [], script: ["true"], variables: {}, artifacts: [] },
        variables: { CI_JOB_ID: "1", CI_PROJECT_PATH: "demo/shop" },
        repoUrl: `file://${join(dir, "no-such-repo")}`, ref: "main", sha: "0".repeat(40), artifactsDir: join(dir, "artifacts"),
      });
      await writeFile(join(dir, "job.sh"), script);
      await chmod(join(dir, "job.sh"), 0o755);
      const before = Date.now();
      await promisify(execFile)("/bin/sh", [join(dir, "job.sh")], { cwd: dir }).catch(() => undefined);
      const marks = await readMarks(join(dir, "artifacts", TIMING_FILE));
      expect(Object.keys(marks)).toEqual(["registered", "started"]);
      expect(marks.registered).toBeGreaterThanOrEqual(before - 1000);
      expect(marks.started).toBeGreaterThanOrEqual(marks.registered);
      expect(await readFile(join(dir, "artifacts", TIMING_FILE), "utf8")).toMatch(/^registered=\d{13}\nstarted=\d{13}\n$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the summary shows the four legs, and a dash where a job left no marks", () => {
    const base = { step: "1 cold", jobId: 1, nodeId: "n", ref: "main", outcome: "job-finished (exit 0)", ok: true, wallSeconds: 9 };
    const startup = { webhookToLaunch: 0.15, launchToRunning: 1.5, runningToRegistered: 0.05, registeredToStarted: 0.02, total: 1.72 };
    const table = formatSummary([summaryRow({ ...base, startup }), summaryRow({ ...base, step: "2" })]).split("\n");
    expect(table[0]).toMatch(/hook→launch\s+→node\s+→runner\s+→job$/);
    expect(table[2]).toMatch(/0\.15\s+1\.50\s+0\.05\s+0\.02$/);
    expect(table[3]).toMatch(/-\s+-\s+-\s+-$/);
  });
});
