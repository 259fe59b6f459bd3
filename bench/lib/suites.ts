import { join } from "node:path";
import { applyScenario, checkout, type AppSpec, type Scenario } from "./app.ts";
import { measure, type MeasureContext } from "./measure.ts";
import { formatMB } from "./stats.ts";
import type { Sample, SuiteName } from "./summary.ts";
import type { ToolName } from "./tools.ts";

/** A suite whose jobs form a chain of scenarios per tool and run, in one repository each. */
export interface ChainSuite {
  name: Exclude<SuiteName, "multi">;
  spec: AppSpec;
  tools: ToolName[];
  /** In chain order; cold first. */
  scenarios: Scenario[];
  /** A tool's Dockerfile when not `Dockerfile` (the classic builder has no cache mounts). */
  dockerfiles?: Partial<Record<ToolName, string>>;
}

export interface MultiSuite {
  name: "multi";
  dir: string;
  /** slipway's image names, also the peers' Dockerfile targets. */
  images: string[];
  /** The images measured alone (each with what it imports). */
  alone: string[];
}

export type Log = (line: string) => void;

export function logSample(log: Log, s: Sample): void {
  const what = [s.suite, s.tool, s.scenario, s.variant].filter(Boolean).join(" ");
  log(`bench: run ${s.run} ${what.padEnd(40)} ${s.seconds.toFixed(2)} s, down ${formatMB(s.downloaded)} MB, up ${formatMB(s.uploaded)} MB, ${s.requests} requests`);
}

/**
 * One run of one tool: the scenario chain in its own repository, each job on a
 * fresh engine. Cold always runs (every later scenario starts from the registry
 * state it leaves); the others only when `scenarios` names them.
 */
export async function chain(ctx: MeasureContext, tmp: string, suite: ChainSuite, run: number, tool: ToolName, log: Log): Promise<Sample[]> {
  const repo = `r${run}-${suite.name}-${tool}`;
  const dir = await checkout(suite.spec, join(tmp, repo, "app"), tool === "slipway-dockerfile");
  const out: Sample[] = [];
  for (const scenario of suite.scenarios) {
    await applyScenario(suite.spec, dir, scenario);
    const scratch = join(tmp, repo, scenario.replace(/ /g, "-"));
    const s = await measure(ctx, scratch, { suite: suite.name, tool, scenario, run }, { appDir: dir, repo, dockerfile: suite.dockerfiles?.[tool] });
    logSample(log, s);
    out.push(s);
  }
  return out;
}

/**
 * One run of the multi-image project, cold, every job in its own new repository on
 * a fresh engine: slipway's bp of every image, slipway's bp of each image alone,
 * and each peer building every image (one `--target` after another) and pushing them.
 */
export async function multiRun(ctx: MeasureContext, tmp: string, suite: MultiSuite, run: number, tools: ToolName[], log: Log): Promise<Sample[]> {
  const spec: AppSpec = { dir: suite.dir, appFile: "", depsFile: "" };
  const jobs: { tool: ToolName; variant: string; images?: string[]; targets?: string[] }[] = [
    ...(tools.includes("slipway") ? [{ tool: "slipway" as const, variant: "all" }, ...suite.alone.map((i) => ({ tool: "slipway" as const, variant: i, images: [i] }))] : []),
    ...tools.filter((t) => t === "docker" || t === "buildkit").map((tool) => ({ tool, variant: "all", targets: suite.images })),
  ];
  const out: Sample[] = [];
  for (const job of jobs) {
    const repo = `r${run}-multi-${job.tool}-${job.variant}`;
    const dir = await checkout(spec, join(tmp, repo, "app"));
    const s = await measure(ctx, join(tmp, repo, "job"), { suite: "multi", tool: job.tool, scenario: "cold", run, variant: job.variant }, { appDir: dir, repo, images: job.images, targets: job.targets });
    logSample(log, s);
    out.push(s);
  }
  return out;
}
