import { Command } from "commander";
import { exitCodeFor } from "../errors.ts";
import { commandModules } from "./commands/index.ts";

/**
 * The CLI is a shell over a library of verbs: each command module parses its
 * arguments and calls one library function, imported lazily inside its action so
 * `slipway --help` never loads the AWS SDK or Pulumi.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command("slipway")
    .description("Stage-by-stage container image builds for GitLab CI on ephemeral build nodes")
    .version("0.1.0")
    .exitOverride()
    .showHelpAfterError(false);
  for (const register of commandModules) register(program);
  try {
    await program.parseAsync(argv, { from: "user" });
    return Number(process.exitCode ?? 0);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code === "string" && code.startsWith("commander.")) {
      // commander already printed the message (or help/version); help and version are successes.
      return code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help" ? 0 : 2;
    }
    process.stderr.write(`slipway: ${err instanceof Error ? err.message : String(err)}\n`);
    // With --json, stdout carries one JSON document on failure too.
    if (argv.includes("--json")) process.stdout.write(`${JSON.stringify({ error: errorJson(err) }, null, 2)}\n`);
    if (process.env.SLIPWAY_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return exitCodeFor(err);
  }
}

/** What a failure says to a machine: message, class and, when known, status, code and repository (registry errors). */
function errorJson(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const e = err as Error & { status?: number; code?: unknown; repository?: string };
  return {
    message: e.message,
    name: e.name,
    ...(typeof e.status === "number" && { status: e.status }),
    ...(typeof e.code === "string" && { code: e.code }),
    ...(typeof e.repository === "string" && { repository: e.repository }),
  };
}

// A reader that stops early (`slipway plan | head`) is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2));
