// `npm run bench`: slipway against Docker's classic builder and BuildKit, same apps,
// same registry, same machine, each job on a fresh engine. See docs/bench.md.
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { startEngine } from "../src/engine/daemon.ts";
import { startRegistry } from "../src/registry/server.ts";
import type { Scenario } from "./lib/app.ts";
import { pushBase } from "./lib/base.ts";
import { bundleCli, headCommit } from "./lib/cli.ts";
import { machine, type Machine } from "./lib/machine.ts";
import { ENGINE_START_MS, type MeasureContext } from "./lib/measure.ts";
import { parseOptions, type Options } from "./lib/options.ts";
import { writeOutputs, type Results } from "./lib/output.ts";
import { addLayerDigests } from "./lib/registry-api.ts";
import { Resources } from "./lib/resources.ts";
import { formatMB } from "./lib/stats.ts";
import { summarize, type Row, type Sample } from "./lib/summary.ts";
import { chain, multiRun, type ChainSuite, type MultiSuite } from "./lib/suites.ts";
import { machineLine, targetLines, textTable } from "./lib/table.ts";
import { multiTable, phaseTable, scenarioTable } from "./lib/tables.ts";
import { appTargets, multiTarget } from "./lib/targets.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const BASE_BYTES = 100_000_000;
const DEPS_BYTES = 30_000_000; // what bench/app's install writes
const MULTI_IMAGES = ["api", "worker", "web", "docs"];

const log = (line: string) => console.error(line);

/** Cold first (every later scenario starts from the state it leaves), then the picked ones in chain order. */
function chainOf(picked: Scenario[], allowed: Scenario[]): Scenario[] {
  return ["cold", ...allowed.filter((s) => s !== "cold" && picked.includes(s))];
}

function suitesOf(opts: Options): { chains: ChainSuite[]; multi?: MultiSuite } {
  const chains: ChainSuite[] = [];
  if (opts.suites.includes("app")) chains.push({ name: "app", spec: opts.app, tools: opts.tools, scenarios: chainOf(opts.scenarios, ["cold", "no change", "app change", "dependency change"]) });
  if (opts.suites.includes("cache")) {
    chains.push({
      name: "cache",
      spec: { dir: join(HERE, "cache-app"), appFile: "main.sh", depsFile: "deps.txt", depsLine: "vitest 3.2.7" },
      tools: opts.tools,
      scenarios: chainOf(opts.scenarios, ["cold", "dependency change"]),
      dockerfiles: { docker: "Dockerfile.classic" },
    });
  }
  const multi = opts.suites.includes("multi") ? { name: "multi" as const, dir: join(HERE, "multi"), images: MULTI_IMAGES, alone: MULTI_IMAGES } : undefined;
  return { chains, multi };
}

/** A registry for the whole bench and the ~100 MB base in it, pushed from a throwaway engine. */
async function setUp(opts: Options, resources: Resources, tmp: string): Promise<{ ctx: MeasureContext; machine: Machine; slipway: string }> {
  const commit = await headCommit();
  const cli = await bundleCli(join(tmp, "cli"), opts.worktree ? undefined : commit);
  const { value: registry } = await resources.start("registry", () => startRegistry({ root: join(tmp, "registry") }), (r) => r.stop());
  const { value: seed, release: stopSeed } = await resources.start("seed engine", () => startEngine({ root: join(tmp, "seed-engine"), timeoutMs: ENGINE_START_MS }), (e) => e.stop());
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

async function measureAll(opts: Options, ctx: MeasureContext, tmp: string): Promise<Sample[]> {
  const { chains, multi } = suitesOf(opts);
  const samples: Sample[] = [];
  // Runs are interleaved across suites and tools so a slow spell of the machine hits all of them.
  for (let run = 1; run <= opts.runs; run++) {
    for (const suite of chains) for (const tool of suite.tools) samples.push(...(await chain(ctx, tmp, suite, run, tool, log)));
    if (multi) samples.push(...(await multiRun(ctx, tmp, multi, run, opts.tools, log)));
  }
  return samples;
}

function rowsOf(opts: Options, samples: Sample[]): Row[] {
  const scenarios: Scenario[] = ["cold", "no change", "app change", "dependency change"];
  return opts.suites.flatMap((suite) => summarize(samples, suite, scenarios, opts.tools, opts.link));
}

function printResults(r: Results): void {
  const app = r.rows.filter((x) => x.suite === "app");
  const multi = r.rows.filter((x) => x.suite === "multi");
  const cache = r.rows.filter((x) => x.suite === "cache");
  const parts = [`${machineLine(r.machine)}; load average ${r.load.start.toFixed(1)} -> ${r.load.end.toFixed(1)}`, `link: ${r.settings.link.description}`];
  if (app.length > 0) parts.push(textTable(scenarioTable(app)), textTable(phaseTable(app, ["cold", "dependency change"])));
  if (multi.length > 0) parts.push(textTable(multiTable(multi, MULTI_IMAGES.length)));
  if (cache.length > 0) parts.push(textTable(scenarioTable(cache)), textTable(phaseTable(cache, ["cold", "dependency change"])));
  console.log(`\n${[...parts, targetLines(r.targets).join("\n")].join("\n\n")}`);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2), HERE);
  const resources = new Resources();
  resources.closeOnSignals();
  const tmp = await mkdtemp(join(tmpdir(), "slipway-bench-"));
  resources.add("temp dir", () => rm(tmp, { recursive: true, force: true }));
  try {
    const started = Date.now();
    const { ctx, machine: info, slipway } = await setUp(opts, resources, tmp);
    const load = { start: loadavg()[0], end: 0 };
    const samples = await measureAll(opts, ctx, tmp);
    load.end = loadavg()[0];
    const rows = rowsOf(opts, samples);
    const settings = { runs: opts.runs, suites: opts.suites, baseBytes: BASE_BYTES, depsBytes: DEPS_BYTES, app: relative(join(HERE, ".."), opts.app.dir) || ".", slipway, link: opts.link, multiImages: MULTI_IMAGES.length };
    const targets = [...appTargets(rows.filter((r) => r.suite === "app")), ...multiTarget(rows.filter((r) => r.suite === "multi"))];
    const results: Results = { date: new Date().toISOString(), machine: info, load, settings, rows, targets, samples, benchSeconds: (Date.now() - started) / 1000 };
    printResults(results);
    await writeOutputs(results, opts);
    log(`\nbench: ${results.benchSeconds!.toFixed(0)} s; wrote ${[opts.json, opts.doc, opts.readme].filter(Boolean).join(", ")}`);
  } finally {
    await resources.close();
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
