import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDir } from "../../support/services.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const ENTRY = join(ROOT, "test/integration/demo/cli-entry.ts");
const TSX = join(ROOT, "node_modules/.bin/tsx");

interface Stage { name: string; status: string }
interface Report { images: Array<{ stages: Stage[] }>; totals: { stagesBuilt: number; containersRun: number; bytesPulled: number } }
interface DemoJson {
  jobs: Array<{ step: string; nodeId: string; ok: boolean; pull?: Report; bp?: Report; dotenv?: Record<string, string>; startup?: Record<string, number> }>;
  cleanup: { dryRun: boolean; tags: Array<{ tag: string; kind: string; action: string }> };
}

const scratch: string[] = [];
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

/**
 * Runs `slipway demo` with TMPDIR in a scratch directory, so what it leaves behind is visible.
 * A demo still running after `deadlineMs` gets a Ctrl-C (it then exits 130 with its log), so
 * a stuck step fails the test with the demo's own account of where it was, not a bare timeout.
 */
function demo(args: string[], onStderr?: (text: string, kill: (sig: NodeJS.Signals) => void) => void, deadlineMs = 240_000) {
  return scratchDir("slipway-demo-test-").then((tmp) => {
    scratch.push(tmp);
    // Nodes run slipway from the sources, so the test does not depend on a fresh dist/.
    const env = { ...process.env, TMPDIR: tmp, SLIPWAY_DEMO_CLI: `'${TSX}' '${join(ROOT, "src/cli/main.ts")}'` };
    const child = spawn(TSX, [ENTRY, "demo", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
      onStderr?.(stderr, (sig) => child.kill(sig));
    });
    const deadline = setTimeout(() => {
      stderr += `\n[test] demo still running after ${deadlineMs / 1000} s: sent SIGINT\n`;
      child.kill("SIGINT");
    }, deadlineMs);
    return new Promise<{ code: number | null; stdout: string; stderr: string; tmp: string }>((resolve) =>
      child.on("close", (code) => (clearTimeout(deadline), resolve({ code, stdout, stderr, tmp }))),
    );
  });
}

/** Processes whose command line mentions `dir` (dockerd data roots, the registry config, job shells). */
async function processesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmd.includes(dir)) found.push(`${pid}: ${cmd.replace(/\0/g, " ")}`);
  }
  return found;
}

const stage = (r: Report | undefined, name: string) => r?.images.flatMap((i) => i.stages).find((s) => s.name === name)?.status;
const pulledStages = (j: DemoJson["jobs"][number]) => [j.pull, j.bp].flatMap((r) => r?.images.flatMap((i) => i.stages) ?? []).filter((s) => s.status === "pulled");

describe("slipway demo", () => {
  it("runs the story on fresh nodes, reports it, and leaves nothing running or on disk", async () => {
    const html = join(await scratchDir("slipway-demo-html-"), "report.html");
    scratch.push(join(html, ".."));
    const r = await demo(["--json", "--report-html", html]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout) as DemoJson;
    expect(out.jobs.map((j) => j.ok)).toEqual([true, true, true, true, true]);
    expect(new Set(out.jobs.map((j) => j.nodeId)).size).toBe(5);
    for (const j of out.jobs) {
      expect(Object.keys(j.startup ?? {}).sort(), j.step).toEqual(["launchToRunning", "registeredToStarted", "runningToRegistered", "total", "webhookToLaunch"]);
      const { total, ...legs } = j.startup as Record<string, number>;
      for (const v of Object.values(legs)) expect(v).toBeGreaterThanOrEqual(0);
      expect(total).toBeCloseTo(Object.values(legs).reduce((a, b) => a + b, 0), 1);
    }
    const [cold, same, app, deps] = out.jobs;
    expect(cold.bp?.totals.containersRun).toBeGreaterThan(0);
    expect(cold.dotenv?.SLIPWAY_IMAGE_APP).toMatch(/\/demo\/shop\/app@sha256:[0-9a-f]{64}$/);
    expect(same.bp?.totals.stagesBuilt).toBe(0);
    // One process per job: the Build job runs bp alone (no stages pull report).
    expect(same.pull).toBeUndefined();
    expect(pulledStages(same)).toEqual([]);
    expect(app.bp?.totals.containersRun).toBe(0);
    expect(app.bp?.images.flatMap((i) => i.stages).filter((s) => s.status === "pulled")).toEqual([]);
    expect(stage(app.bp, "gitLatest")).toBe("appended");
    expect(stage(deps.bp, "install")).toBe("built");
    expect(out.cleanup.dryRun).toBe(true);
    expect(out.cleanup.tags.find((t) => t.kind === "image" && /^feature-login-[0-9a-f]{8}$/.test(t.tag))?.action).toBe("delete");
    expect(out.cleanup.tags.find((t) => t.kind === "image" && t.tag === "main")?.action).toBe("keep");
    expect(r.stderr).toMatch(/webhook\.queued/);
    expect(r.stderr).toMatch(/launcher\.launched/);
    const page = await readFile(html, "utf8");
    expect(page.match(/<section>/g)?.length).toBe(6);
    expect(page).not.toMatch(/<script|<link|src=/);
    expect(await processesUnder(r.tmp)).toEqual([]);
    expect((await readdir(r.tmp)).filter((f) => f.startsWith("slipway-demo-"))).toEqual([]);
  }, 300_000);

  it("with --interrupt, a node reclaimed mid-job: its job is canceled, retried once and built on a new node", async () => {
    const r = await demo(["--interrupt", "--json"]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout) as DemoJson & { jobs: Array<{ jobId: number }> };
    expect(out.jobs.map((j) => j.ok)).toEqual([true, true, true, true, true, true]);
    const retried = out.jobs[5];
    expect(retried.jobId).toBe(107);
    expect(retried.step).toMatch(/reclaimed node → retried/);
    expect(retried.bp?.totals.stagesBuilt).toBe(0);
    expect(r.stderr).toMatch(/recovery\.interrupted .*"jobId":106/);
    expect(r.stderr).toMatch(/GitLab saw: cancel 106, retry 106 -> 107; a second reaper run changed nothing/);
    expect(await processesUnder(r.tmp)).toEqual([]);
  }, 300_000);

  it("stops everything and exits 130 on Ctrl-C while a node runs", async () => {
    let sent = false;
    const r = await demo([], (text, kill) => {
      if (!sent && /\[local-101-\w+\] \$ slipway/.test(text)) {
        sent = true;
        kill("SIGINT");
      }
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted/);
    expect(await processesUnder(r.tmp)).toEqual([]);
    expect((await readdir(r.tmp)).filter((f) => f.startsWith("slipway-demo-"))).toEqual([]);
    expect(existsSync(r.tmp)).toBe(true);
  }, 120_000);
});
