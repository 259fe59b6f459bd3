// `npm run bench`: slipway against Docker's classic builder and BuildKit, same app,
// same registry, same machine, each job on a fresh engine. See docs/bench.md.
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startEngine } from "../src/engine/daemon.ts";
import { startRegistry } from "../src/registry/server.ts";
import { applyScenario, checkout, SCENARIOS, type AppSpec } from "./lib/app.ts";
import { pushBase } from "./lib/base.ts";
import { bundleCli, headCommit } from "./lib/cli.ts";
import { machine, type Machine } from "./lib/machine.ts";
import { measure, type MeasureContext } from "./lib/measure.ts";
import { writeOutputs, type Results } from "./lib/output.ts";
import { addLayerDigests } from "./lib/registry-api.ts";
import { Resources } from "./lib/resources.ts";
import { formatMB } from "./lib/stats.ts";
import { summarize, targets, type Sample } from "./lib/summary.ts";
import { machineLine, targetLines, textTable } from "./lib/table.ts";
import { TOOLS } from "./lib/tools.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const BASE_BYTES = 100_000_000;
const DEPS_BYTES = 30_000_000; // what bench/app's install writes

const { values: opts } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    app: { type: "string", default: join(HERE, "app") },
    "app-file": { type: "string", default: "main.sh" },
    "deps-file": { type: "string", default: "deps.txt" },
    json: { type: "string", default: join(HERE, "results.json") },
    doc: { type: "string", default: join(HERE, "../docs/bench.md") },
    worktree: { type: "boolean", default: false },
  },
});

const log = (line: string) => console.error(line);


/** A registry for the whole bench and the ~100 MB base in it, pushed from a throwaway engine. */
async function setUp(resources: Resources, tmp: string): Promise<{ ctx: Omit<MeasureContext, "scratch">; machine: Machine; slipway: string }> {
  const commit = await headCommit();
  const cli = await bundleCli(join(tmp, "cli"), opts.worktree ? undefined : commit);
  const registry = await startRegistry({ root: join(tmp, "registry") });
  resources.add("registry", () => registry.stop());
  const seed = await startEngine({ root: join(tmp, "seed-engine") });
  const stopSeed = resources.add("seed engine", () => seed.stop());
  const base = `${registry.host}/bench/base:1`;
  log(`bench: pushing a ${formatMB(BASE_BYTES)} MB base image to ${base}`);
  await pushBase(seed.socketPath, base, BASE_BYTES);
  const info = await machine(seed.socketPath);
  await stopSeed();
  const layers = new Set<string>();
  await addLayerDigests(registry.host, layers);
  const slipway = `${opts.worktree ? "working tree on " : ""}commit ${commit.slice(0, 7)}`;
  return { ctx: { resources, host: registry.host, logPath: registry.logPath, base, cli, layers }, machine: info, slipway };
}

/** One run of one tool: the scenario chain in its own repository, each job on a fresh engine. */
async function chain(ctx: Omit<MeasureContext, "scratch">, tmp: string, spec: AppSpec, run: number, tool: (typeof TOOLS)[number]): Promise<Sample[]> {
  const repo = `r${run}-${tool}`;
  const dir = await checkout(spec, join(tmp, repo, "app"));
  const out: Sample[] = [];
  for (const scenario of SCENARIOS) {
    await applyScenario(spec, dir, scenario);
    const scratch = join(tmp, repo, scenario.replace(/ /g, "-"));
    const s = await measure({ ...ctx, scratch }, tool, scenario, run, dir, repo);
    log(`bench: run ${run} ${tool.padEnd(8)} ${scenario.padEnd(17)} ${s.seconds.toFixed(2)} s, down ${formatMB(s.downloaded)} MB, up ${formatMB(s.uploaded)} MB`);
    out.push(s);
  }
  return out;
}

async function main(): Promise<void> {
  const runs = Number(opts.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${opts.runs}`);
  const spec: AppSpec = { dir: resolve(opts.app!), appFile: opts["app-file"]!, depsFile: opts["deps-file"]! };
  const resources = new Resources();
  resources.closeOnSignals();
  const tmp = await mkdtemp(join(tmpdir(), "slipway-bench-"));
  resources.add("temp dir", () => rm(tmp, { recursive: true, force: true }));
  try {
    const started = Date.now();
    const { ctx, machine: info, slipway } = await setUp(resources, tmp);
    const load = { start: loadavg()[0], end: 0 };
    const samples: Sample[] = [];
    // Runs are interleaved across tools so a slow spell of the machine hits all of them.
    for (let run = 1; run <= runs; run++) for (const tool of TOOLS) samples.push(...(await chain(ctx, tmp, spec, run, tool)));
    load.end = loadavg()[0];
    const rows = summarize(samples, SCENARIOS, TOOLS);
    const results: Results = { date: new Date().toISOString(), machine: info, load, settings: { runs, baseBytes: BASE_BYTES, depsBytes: DEPS_BYTES, app: relative(join(HERE, ".."), spec.dir) || ".", slipway }, rows, targets: targets(rows), samples };
    console.log(`\n${machineLine(info)}; load average ${load.start.toFixed(1)} -> ${load.end.toFixed(1)}\n\n${textTable(rows)}\n\n${targetLines(results.targets).join("\n")}`);
    await writeOutputs(results, opts.json!, opts.doc!);
    log(`\nbench: ${((Date.now() - started) / 1000).toFixed(0)} s; wrote ${opts.json} and ${opts.doc}`);
  } finally {
    await resources.close();
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
