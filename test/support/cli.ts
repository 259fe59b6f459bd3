import { fileURLToPath } from "node:url";
import type { BuildReport } from "../../src/build/report.ts";
import { run } from "../../src/util/process.ts";

const BIN = fileURLToPath(new URL("../../bin/slipway.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (dist/, made by `npm run build`) as a user would. */
export async function slipway(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  return run(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, NO_COLOR: "1", ...opts.env } });
}

/** Runs a command with --json and parses the report; fails with stderr when the command fails. */
export async function slipwayJson(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<BuildReport> {
  const res = await slipway([...args, "--json"], opts);
  if (res.code !== 0) throw new Error(`slipway ${args.join(" ")} exited ${res.code}:\n${res.stderr}`);
  return JSON.parse(res.stdout) as BuildReport;
}

/** Stage name -> status for one image of a report. */
export function statuses(report: BuildReport, image = report.images[0]?.name): Record<string, string> {
  const found = report.images.find((i) => i.name === image);
  if (!found) throw new Error(`no image ${image} in report`);
  return Object.fromEntries(found.stages.map((s) => [s.name, s.status]));
}
