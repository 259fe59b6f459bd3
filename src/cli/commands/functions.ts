import type { Command } from "commander";
import { UsageError } from "../../errors.ts";

/** One JSON line per event on stderr: the local functions' structured log. */
function stderrLog(event: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
}

function nodeLog(nodeId: string, line: string): void {
  process.stderr.write(`[${nodeId}] ${line}\n`);
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port: not a port number: "${text}"`);
  return n;
}

export function register(program: Command): void {
  const functions = program.command("functions").description("run the serverless functions locally (webhook, launcher, schedules)");

  functions
    .command("serve")
    .description("serve the GitLab webhook at POST /webhook and run the scheduled functions on their schedules")
    .option("--port <n>", "port to listen on", parsePort, 8080)
    .option("--host <addr>", "address to listen on", "127.0.0.1")
    .action(async (opts: { port: number; host: string }) => {
      const { parseFunctionsConfig } = await import("../../functions-config/index.ts");
      const { serveFunctions } = await import("../../../functions/runtime/serve.ts");
      const cfg = parseFunctionsConfig(process.env);
      const running = await serveFunctions(cfg, { port: opts.port, host: opts.host, log: stderrLog, nodeLog, baseEnv: process.env });
      stderrLog("functions.serving", { url: `${running.url}/webhook`, fleet: cfg.fleet, mode: cfg.mode });
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      stderrLog("functions.stopping", {});
      await running.close();
    });

  functions
    .command("run")
    .description("run one scheduled function once (reaper, reconciler, cleanup) and print its report as JSON")
    .argument("<name>", "reaper | reconciler | cleanup")
    // The report is always JSON; --json is taken (and errors become JSON) as on every other command.
    .option("--json", "print the report as one JSON document on stdout (always the case)")
    .action(async (name: string) => {
      const { parseFunctionsConfig } = await import("../../functions-config/index.ts");
      const { runScheduled } = await import("../../../functions/runtime/serve.ts");
      const cfg = parseFunctionsConfig(process.env);
      const report = await runScheduled(name, cfg, { log: stderrLog, nodeLog, baseEnv: process.env });
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    });
}
