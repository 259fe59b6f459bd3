import { Command } from "commander";
import { exitCodeFor } from "../errors.ts";
import { commandModules } from "./commands/index.ts";
import { errorDocument, isCommanderError } from "./error-document.ts";

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
    .showHelpAfterError(false)
    // Every failure reads `slipway: ...` on stderr, commander's own parse errors too (subcommands inherit this).
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, "slipway: ")) });
  for (const register of commandModules) register(program);
  try {
    await program.parseAsync(argv, { from: "user" });
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (isCommanderError(err)) {
      // commander already printed the message (or help/version); help and version are successes.
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return 0;
      if (wantsJson(argv)) process.stdout.write(`${JSON.stringify(errorDocument(err), null, 2)}\n`);
      return 2;
    }
    // One line per problem (a config error may carry many), each greppable on its own.
    const message = err instanceof Error ? err.message : String(err);
    for (const line of message.split("\n")) process.stderr.write(`slipway: ${line}\n`);
    if (process.env.SLIPWAY_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    if (wantsJson(argv)) process.stdout.write(`${JSON.stringify(errorDocument(err), null, 2)}\n`);
    return exitCodeFor(err);
  }
}

/** `--json` anywhere before `--`: a failed command then prints its error as JSON on stdout too. */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}

// A reader that stops early (`slipway plan | head`) is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

// No top-level await: the bundle is a CommonJS file (scripts/cli-bundle.mjs).
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
