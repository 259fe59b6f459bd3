// The CLI with only this part's commands registered, as the lead's main.ts will register them.
import { Command } from "commander";
import { register as registerFleet } from "../../../src/cli/commands/fleet.ts";
import { register as registerFunctions } from "../../../src/cli/commands/functions.ts";

const program = new Command("slipway").exitOverride();
registerFunctions(program);
registerFleet(program);
try {
  await program.parseAsync(process.argv.slice(2), { from: "user" });
} catch (err) {
  process.stderr.write(`slipway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = (err as { name?: string }).name === "UsageError" ? 2 : 1;
}
