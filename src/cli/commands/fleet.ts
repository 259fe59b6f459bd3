import type { Command } from "commander";

export function register(program: Command): void {
  const fleet = program.command("fleet").description("the build nodes of the configured fleet (SLIPWAY_FLEET)");
  fleet
    .command("ls")
    .description("list build nodes: id, job id, state (launching | running | terminated), launch time")
    .option("--json", "print a JSON array")
    .action(async (opts: { json?: boolean }) => {
      const { parseFunctionsConfig, createServices } = await import("../../functions-config/index.ts");
      const services = await createServices(parseFunctionsConfig(process.env));
      try {
        const nodes = (await services.fleet.list()).map((n) => ({ id: n.id, jobId: n.jobId, state: n.state, launchedAt: n.launchedAt }));
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
