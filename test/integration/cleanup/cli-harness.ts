/**
 * Runs the cleanup commands the way src/cli/main.ts runs every command (same error to
 * exit-code mapping), until the lead lists them in src/cli/commands/index.ts.
 * Usage: node --import tsx cli-harness.ts cleanup repo ... | stages cleanup local ...
 */
import { Command } from "commander";
import { registerCleanup, registerStagesCleanup } from "../../../src/cli/commands/cleanup.ts";
import { exitCodeFor } from "../../../src/errors.ts";

const program = new Command("slipway").exitOverride();
registerCleanup(program);
registerStagesCleanup(program.command("stages"));
try {
  await program.parseAsync(process.argv.slice(2), { from: "user" });
} catch (err) {
  const code = (err as { code?: string }).code;
  if (typeof code === "string" && code.startsWith("commander.")) process.exitCode = 2;
  else {
    process.stderr.write(`slipway: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = exitCodeFor(err);
  }
}
