import type { Command } from "commander";

export function register(program: Command): void {
  const fleet = program.command("fleet").description("the build nodes of the configured fleet (SLIPWAY_FLEET)");
  fleet
    .command("ls")
    .description("list build nodes: id, job id, state (launching | running | terminated), launch time (JSON also: retryOf, capacity, interruption when set)")
    .option("--json", "print a JSON array")
    .action(async (opts: { json?: boolean }) => {
      const { parseFunctionsConfig, createServices } = await import("../../functions-config/index.ts");
      const services = await createServices(parseFunctionsConfig(process.env));
      try {
        // The four columns always; what recovery recorded only where it applies (undefined keys drop out of the JSON).
        const nodes = (await services.fleet.list()).map((n) => ({
          id: n.id, jobId: n.jobId, state: n.state, launchedAt: n.launchedAt,
          retryOf: n.retryOf, capacity: n.retryOf !== undefined ? n.capacity : undefined, interruption: n.interruption,
        }));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(nodes, null, 2)}\n`);
          return;
        }
        const rows = [["ID", "JOB", "STATE", "LAUNCHED"], ...nodes.map((n) => [n.id, String(n.jobId), n.state, n.launchedAt])];
        const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
        for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()}\n`);
      } finally {
        await services.dispose();
      }
    });
}
