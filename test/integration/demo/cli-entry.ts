// The CLI with only the demo registered, as the lead's main.ts will register it.
import { Command } from "commander";
import { register } from "../../../src/cli/commands/demo.ts";
import { exitCodeFor } from "../../../src/errors.ts";

const program = new Command("slipway").exitOverride();
register(program);
try {
  await program.parseAsync(process.argv.slice(2), { from: "user" });
} catch (err) {
  process.stderr.write(`slipway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = exitCodeFor(err);
}
