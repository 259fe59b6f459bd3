/**
 * The node bootstrap on a stand-in node (busybox, network none, private engine): every path
 * (success, job failure, runner crash, missing parameter, hang, IMDS down, engine down) ends
 * in power-off, and the runner token never appears in the node's output.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import { scratchDir, testEngine } from "../../support/services.ts";
import { buildNodeImage, runNode, type NodeCase, type NodeRun } from "./node-image.ts";

let engine: PrivateEngine;
let image: string;
let work: string;
let n = 0;
const TOKEN = `glrt-${randomBytes(12).toString("hex")}`;

beforeAll(async () => {
  engine = await testEngine();
  work = await scratchDir("slipway-node-");
  image = await buildNodeImage(engine.socketPath, work);
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function boot(over: Partial<NodeCase> = {}): Promise<NodeRun> {
  n += 1;
  return runNode({ socket: engine.socketPath, image, dir: join(work, `case-${n}`), token: TOKEN, ...over });
}

/** What every path must show: powered off, and not one byte of the token in the output. */
function expectPoweredOffWithoutLeak(r: NodeRun) {
  expect(r.poweroffs, `no power-off; output:\n${r.stdout}${r.stderr}`).toBeGreaterThanOrEqual(1);
  expect(r.code).not.toBe(124); // 124: the test's own timeout, i.e. the node never went down
  expect(r.stdout + r.stderr).not.toContain(TOKEN);
  expect(r.stdout + r.stderr).not.toContain(TOKEN.slice(5));
}

describe("bootstrap on a stand-in node", () => {
  it("success: IMDSv2, read and delete its parameter, start the engine, run one job, power off", async () => {
    const r = await boot();
    expectPoweredOffWithoutLeak(r);
    expect(r.code).toBe(0);
    // The engine starts alongside the IMDS and SSM calls, so its place among them varies.
    expect(r.calls).toContain("systemctl start docker");
    expect(r.calls.indexOf("systemctl start docker")).toBeLessThan(r.calls.indexOf("gitlab-runner run-single"));
    expect(r.calls.filter((c) => c !== "systemctl start docker")).toEqual([
      "curl PUT http://169.254.169.254/latest/api/token",
      "curl GET http://169.254.169.254/latest/meta-data/instance-id",
      "curl GET http://169.254.169.254/latest/meta-data/tags/instance/slipway:pool",
      "aws ssm get-parameter --region eu-west-1 --name /slipway/test/nodes/i-0123456789abcdef0/runner-token --with-decryption --query Parameter.Value --output text",
      "aws ssm delete-parameter --region eu-west-1 --name /slipway/test/nodes/i-0123456789abcdef0/runner-token",
      "gitlab-runner run-single",
      "aws ec2 terminate-instances --region eu-west-1 --instance-ids i-0123456789abcdef0 --cli-connect-timeout 5 --cli-read-timeout 10",
      "poweroff",
    ]);
    const args = r.runnerArgs.join(" ");
    expect(args).toContain(`--url https://gitlab.example.com --token ${TOKEN} --executor shell --max-builds 1 --wait-timeout 600`);
  }, 60_000);

  it("pool mode: reads the shared token and leaves it in place", async () => {
    const r = await boot({ settings: { SLIPWAY_RUNNER_MODE: "pool" } });
    expectPoweredOffWithoutLeak(r);
    expect(r.code).toBe(0);
    expect(r.calls.filter((c) => c.startsWith("aws ssm"))).toEqual([
      "aws ssm get-parameter --region eu-west-1 --name /slipway/test/nodes/pool/runner-token --with-decryption --query Parameter.Value --output text",
    ]);
    expect(r.runnerArgs.join(" ")).toContain(`--token ${TOKEN}`);
  }, 60_000);

  it("job failure, runner crash, and a failed parameter delete all end in power-off", async () => {
    const [failed, crashed, undeleted] = await Promise.all([
      boot({ sim: { SIM_RUNNER: "fail" } }),
      boot({ sim: { SIM_RUNNER: "crash" } }),
      boot({ sim: { SIM_DELETE: "fail" } }),
    ]);
    for (const r of [failed, crashed, undeleted]) expectPoweredOffWithoutLeak(r);
    expect(failed.code).toBe(1);
    expect(crashed.code).toBe(139);
    expect(crashed.stderr).toContain("gitlab-runner exited with status 139");
    // A token that could not be deleted is still used once; the reaper removes the parameter.
    expect(undeleted.code).toBe(0);
    expect(undeleted.stderr).toContain("the reaper will");
  }, 60_000);

  it("missing parameter, IMDS down, engine down: power off without ever running the runner", async () => {
    const [missing, noImds, noEngine] = await Promise.all([
      boot({ sim: { SIM_PARAMETER: "missing" } }),
      boot({ sim: { SIM_IMDS: "down" } }),
      boot({ sim: { SIM_ENGINE: "fail" } }),
    ]);
    for (const r of [missing, noImds, noEngine]) {
      expectPoweredOffWithoutLeak(r);
      expect(r.code).toBe(1);
      expect(r.calls.some((c) => c.startsWith("gitlab-runner"))).toBe(false);
    }
    expect(missing.calls.filter((c) => c.includes("get-parameter"))).toHaveLength(2);
    expect(missing.calls.some((c) => c.includes("delete-parameter"))).toBe(false);
    expect(missing.stderr).toContain("no runner token at /slipway/test/nodes/i-0123456789abcdef0/runner-token");
    expect(noImds.calls.some((c) => c.startsWith("aws ssm"))).toBe(false);
    expect(noEngine.stderr).toContain("the Docker engine did not start");
  }, 60_000);

  it("times every step, installs nothing at boot, and overlaps the engine start with IMDS and SSM", async () => {
    // Stand-ins answer IMDS and SSM after 0.3 s each and the engine after 1 s, like slow network calls.
    const r = await boot({ sim: { SIM_LATENCY: "0.3", SIM_ENGINE_SECONDS: "1" } });
    expect(r.code, r.stderr).toBe(0);
    const steps = [...r.stderr.matchAll(/step ([\w-]+) at ([\d.]+)s/g)].map((m) => [m[1], Number(m[2])] as const);
    expect(steps.map(([name]) => name)).toEqual(["bootstrap-started", "lifetime-armed", "imds", "runner-token", "engine-ready", "runner-started", "runner-exited"]);
    const at = Object.fromEntries(steps);
    for (let i = 1; i < steps.length; i++) expect(steps[i][1]).toBeGreaterThanOrEqual(steps[i - 1][1]);
    // Three calls of 0.3 s (token, instance id, parameter) plus the delete take ~1.2 s; the engine's 1 s runs meanwhile.
    const engineWait = at["engine-ready"] - at["runner-token"];
    expect(engineWait).toBeLessThan(0.5);
    const legs = steps.slice(1).map(([name, t], i) => `${name} +${(t - steps[i][1]).toFixed(2)}s`);
    console.log(`bootstrap steps (stand-ins: 0.3 s per network call, 1 s engine): ${legs.join(", ")}; total ${(at["runner-started"] - at["bootstrap-started"]).toFixed(2)} s to the runner`);
    // Nothing is installed or downloaded at boot: every package and binary is in the image.
    expect(r.calls.filter((c) => /^(dnf|yum|apt|apk|npm|pip)\b/.test(c) || (c.startsWith("curl") && !c.includes("169.254.169.254")))).toEqual([]);
  }, 60_000);

  it("warm pool, first boot: warms the engine, installs itself for the next boot, and stops without powering off", async () => {
    const r = await boot({ sim: { SIM_POOL_TAG: "warm" } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.poweroffs).toBe(0);
    expect(r.calls).toContain("systemctl start docker");
    expect(r.calls).toContain("aws ec2 stop-instances --region eu-west-1 --instance-ids i-0123456789abcdef0 --cli-connect-timeout 5 --cli-read-timeout 10");
    expect(r.calls.some((c) => c.startsWith("aws ssm") || c.startsWith("gitlab-runner") || c.includes("terminate-instances"))).toBe(false);
    expect(existsSync(join(r.dir, "warm", "warm-ready"))).toBe(true);
    expect(readFileSync(join(r.dir, "per-boot", "slipway-bootstrap.sh"), "utf8")).toContain("SLIPWAY_PARAMETER_PATH='/slipway/test/nodes'");
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  }, 60_000);

  it("warm pool, started for a job: the marker is spent and the node takes its job like any other", async () => {
    const r = await boot({ sim: { SIM_POOL_TAG: "warm" }, files: { "warm/warm-ready": "" } });
    expectPoweredOffWithoutLeak(r);
    expect(r.code).toBe(0);
    expect(r.calls).toContain("gitlab-runner run-single");
    expect(r.calls.some((c) => c.includes("stop-instances") || c.includes("tags/instance"))).toBe(false);
    expect(existsSync(join(r.dir, "warm", "warm-ready"))).toBe(false);
    expect(r.stderr).toContain("warm-pool node started for a job");
  }, 60_000);

  it("warm pool: a node that cannot stop itself powers off (and so terminates) instead", async () => {
    const r = await boot({ sim: { SIM_POOL_TAG: "warm", SIM_STOP: "fail" } });
    expectPoweredOffWithoutLeak(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("could not stop for the warm pool");
  }, 60_000);

  it("hang: the hard lifetime powers the node off while the runner is stuck", async () => {
    const r = await boot({ settings: { SLIPWAY_LIFETIME_SECONDS: 2 }, sim: { SIM_RUNNER: "hang" }, timeoutSeconds: 30 });
    expectPoweredOffWithoutLeak(r);
    expect(r.stderr).toContain("lifetime of 2s reached; powering off");
    expect(r.calls).toContain("gitlab-runner run-single");
    expect(r.seconds).toBeLessThan(20);
  }, 60_000);
});
