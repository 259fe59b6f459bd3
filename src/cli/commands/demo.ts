import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { UsageError } from "../../errors.ts";

/** The checkout this CLI runs from: the nearest parent with examples/ and bin/slipway.js (src/cli/commands/ or dist/). */
function checkoutRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "examples", ".gitlab-ci.yml")) && existsSync(join(dir, "bin", "slipway.js"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new UsageError("cannot find examples/.gitlab-ci.yml next to this slipway: run the demo from a slipway checkout");
    dir = up;
  }
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** GitLab's collapsible-section markers and colours make no sense outside GitLab's log view. */
const plain = (line: string) => line.replace(/\x1b\[[0-9;]*K?m?/g, "").replace(/section_(start|end):\d+:[\w.-]+(\[[^\]]*\])?\r?/g, "").trimEnd();

const LEGEND = [
  "built: commands ran in a container · appended: layer or config made in the registry, no container · reused: found in the registry",
  "pulled / pushed: blob bytes moved by the job (`bp`, and `stages pull` if the job runs it) · bp s: bp's own time · job s: Job Hook to node gone",
  "time to start, s: hook→launch: Job Hook to the launch request · →node: to the node's engine up · →runner: to its runner up · →job: to the job begun",
].join("\n");

interface DemoFlags {
  json?: boolean;
  reportHtml?: string;
  keep?: boolean;
  interrupt?: boolean;
}

export function register(program: Command): void {
  program
    .command("demo")
    .description("run the whole flow on this machine: registry, functions, local build nodes, the example app's story, a cleanup dry run")
    .option("--report-html <file>", "also write an HTML page with the stage timeline of each job")
    .option("--json", "print every job's reports and the cleanup dry run as one JSON document on stdout (instead of the table)")
    .option("--keep", "keep the temporary directory (job scripts, artifacts) after the demo")
    .option("--interrupt", "add a step where a node is reclaimed mid-job: the reaper cancels the job and retries it once on a new node (about 20 s more)")
    .action(async (flags: DemoFlags) => {
      const { runDemo } = await import("../../demo/index.ts");
      const { serveFunctions } = await import("../../../functions/runtime/serve.ts");
      const root = checkoutRoot();
      // SLIPWAY_DEMO_CLI lets a test run the nodes' slipway from sources instead of dist/.
      const slipwayCommand = process.env.SLIPWAY_DEMO_CLI ?? `${quote(process.execPath)} ${quote(join(root, "bin", "slipway.js"))}`;
      const driver = process.env.SLIPWAY_STORAGE_DRIVER;
      if (driver !== undefined && driver !== "overlay2" && driver !== "vfs") throw new UsageError(`SLIPWAY_STORAGE_DRIVER: "${driver}" is not one of overlay2, vfs`);
      const ctl = new AbortController();
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals += 1;
        process.stderr.write(signals === 1 ? `\ndemo: ${sig}: stopping everything the demo started…\n` : "demo: still cleaning up; one moment\n");
        process.exitCode = 130;
        ctl.abort(new UsageError(`interrupted (${sig})`));
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      const started = Date.now();
      try {
        const result = await runDemo({
          examplesDir: join(root, "examples"),
          slipwayCommand,
          reportHtml: flags.reportHtml ? resolve(flags.reportHtml) : undefined,
          keep: flags.keep === true,
          interrupt: flags.interrupt === true,
          storageDriver: driver,
          signal: ctl.signal,
          progress: (line) => process.stderr.write(`demo: ${line}\n`),
          nodeLog: (nodeId, line) => process.stderr.write(`  [${nodeId}] ${plain(line)}\n`),
          serveFunctions,
        });
        if (flags.json) process.stdout.write(`${JSON.stringify({ jobs: result.jobs, cleanup: result.cleanup }, null, 2)}\n`);
        else process.stdout.write(`\n${result.summary}\n${LEGEND}\n`);
        process.stderr.write(`demo: done in ${((Date.now() - started) / 1000).toFixed(0)} s; nothing left running${flags.keep ? ` (kept ${result.root})` : ", temporary files removed"}\n`);
        if (flags.reportHtml) process.stderr.write(`demo: HTML report written to ${resolve(flags.reportHtml)}\n`);
      } catch (err) {
        if (ctl.signal.aborted) {
          process.stderr.write("demo: interrupted; everything it started is stopped and removed\n");
          process.exit(130);
        }
        throw err;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
