import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { run } from "../../../src/util/process.ts";
import { slipway } from "../../support/cli.ts";
import { scratchDir } from "../../support/services.ts";
import { apiJob, startGitLabFake } from "../../unit/fleet/support/gitlab-server.ts";

const ENTRY = fileURLToPath(new URL("./cli-entry.ts", import.meta.url));
const TSX = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));

it("`functions run reconciler` launches for an old pending job without a node and waits for that node to end", async () => {
  await using gitlab = await startGitLabFake();
  gitlab.setJob(380, apiJob({ id: 4001, created_at: new Date(Date.now() - 10 * 60_000).toISOString() }));
  gitlab.setJob(380, apiJob({ id: 4002, created_at: new Date().toISOString() }));
  gitlab.setJob(380, apiJob({ id: 4003, status: "running" }));
  const env = {
    ...process.env, SLIPWAY_HOME: await scratchDir("slipway-home-"), GITLAB_URL: gitlab.url, GITLAB_TOKEN: gitlab.token,
    SLIPWAY_PROJECTS: "380", SLIPWAY_JOB_COMMAND: 'echo "ran $CI_JOB_ID"', PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
  };
  const r = await run(TSX, [ENTRY, "functions", "run", "reconciler"], { env });
  expect(r.code, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report.checked).toBe(2);
  expect(report.outcomes.map((o: { jobId: number; kind: string }) => [o.jobId, o.kind])).toEqual([[4001, "launched"]]);
  expect(r.stderr).toContain("ran 4001");
  const ls = JSON.parse((await run(TSX, [ENTRY, "fleet", "ls", "--json"], { env })).stdout);
  expect(ls.map((n: { jobId: number; state: string }) => [n.jobId, n.state])).toEqual([[4001, "terminated"]]);
}, 60_000);

// The built CLI (npm run build), as a user runs it.
it("`functions run reaper --json` is accepted like every other command's --json: the report is one JSON document", async () => {
  const env = { ...process.env, SLIPWAY_HOME: await scratchDir("slipway-home-"), PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
  const r = await slipway(["functions", "run", "reaper", "--json"], { env });
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ terminated: [], recovered: [], errors: [] });
  const bad = await slipway(["functions", "run", "nope", "--json"], { env });
  expect(bad.code).toBe(2);
  expect(JSON.parse(bad.stdout).error).toMatchObject({ kind: "usage", exitCode: 2 });
}, 60_000);
