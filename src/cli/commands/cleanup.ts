import type { Command } from "commander";
import { UsageError } from "../../errors.ts";
import type { CleanupReport, Progress } from "../../cleanup/types.ts";
import type { RepoCleanupFlags } from "../../cleanup/wiring.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface OutputFlags {
  json?: boolean;
}

/** JSON on stdout with --json, else a table on stdout; exit 1 when any delete failed. */
async function emit(report: CleanupReport, flags: OutputFlags): Promise<void> {
  const { formatReport } = await import("../../cleanup/report.ts");
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
  if (report.totals.failed > 0) process.exitCode = 1;
}

/** A progress line on stderr: redrawn in place on a TTY, every 10% otherwise. */
function stderrProgress(): Progress {
  const tty = process.stderr.isTTY === true;
  let lastTenth = -1;
  return ({ phase, done, total }) => {
    if (tty) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      process.stderr.write(`\r${phase} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}${done === total ? "\n" : ""}`);
      return;
    }
    const tenth = Math.floor((done / total) * 10);
    if (tenth !== lastTenth) process.stderr.write(`${phase}: ${done}/${total}\n`);
    lastTenth = tenth;
  };
}

/** `slipway cleanup repo REPO`. The lead adds `registerCleanup` to the command list. */
export function registerCleanup(program: Command): void {
  const cleanup = program.command("cleanup").description("remove images and stages nothing needs");
  cleanup
    .command("repo")
    .argument("<repo>", "stages repository (host[:port]/path); images live in REPO and REPO/<image>")
    .description("delete images of gone git refs (by keep policy) and every stage no kept image needs")
    .option("--dir <dir>", "project directory (a git checkout)", ".")
    .option("--config <file>", "config file (default: slipway.yaml, werf.yaml or dappfile.yml in --dir)")
    .option("--dry-run", "print every tag with keep/delete and the reason; change nothing")
    .option("--json", "print the result as one JSON document on stdout")
    .option("--grace <duration>", "keep images and stages pushed within this window (default: cleanup.grace or 2h; 0s disables it: unsafe while builds run)")
    .option("--kubeconfig <file>", "kubeconfig to read clusters from (default: KUBECONFIG, ~/.kube/config)")
    .option("--kube-context <name>", "only this context (repeatable; default: every context)", collect)
    .option("--no-kube", "do not consult Kubernetes")
    .option("--keep <pattern>", "always keep tags matching this name, glob or /regex/ (repeatable)", collect)
    .option("--git-refs <source>", "where git refs come from: auto, local or gitlab", "auto")
    .option("--remote <name>", "the git remote whose branches count (default: origin when it exists)")
    .action(async (repo: string, flags: RepoCleanupFlags & OutputFlags) => {
      const { repoCleanupOptions } = await import("../../cleanup/wiring.ts");
      const { cleanupRepo } = await import("../../cleanup/repo-cleanup.ts");
      const options = await repoCleanupOptions(repo, flags, process.env);
      await emit(await cleanupRepo({ ...options, progress: stderrProgress() }), flags);
    });
}

interface LocalFlags extends OutputFlags {
  dir: string;
  config?: string;
  dryRun?: boolean;
  improperCacheVersion?: boolean;
  improperGitCommit?: boolean;
  improperRepoCache?: boolean;
}

/** `slipway stages cleanup local [REPO]`, added under the existing `stages` group. */
export function registerStagesCleanup(stages: Command): void {
  stages
    .command("cleanup")
    .description("clean the stage cache")
    .command("local")
    .argument("[repo]", "stages repository; local stages it no longer has are removed (with --improper-repo-cache)")
    .description("remove local stages: old cache version, commits gone from the repository, stages the registry dropped")
    .option("--dir <dir>", "project directory (a git checkout)", ".")
    .option("--config <file>", "config file")
    .option("--improper-cache-version", "remove stages built with another cache version")
    .option("--improper-git-commit", "remove stages whose recorded git commit the repository no longer has")
    .option("--improper-repo-cache", "remove local stages that REPO no longer has")
    .option("--dry-run", "only report")
    .option("--json", "print the result as one JSON document on stdout")
    .action(async (repo: string | undefined, flags: LocalFlags) => {
      const all = !flags.improperCacheVersion && !flags.improperGitCommit && !flags.improperRepoCache;
      if (flags.improperRepoCache && !repo) throw new UsageError("--improper-repo-cache needs REPO");
      const { localCleanupOptions } = await import("../../cleanup/wiring-local.ts");
      const { cleanupLocalStages } = await import("../../cleanup/local.ts");
      const options = await localCleanupOptions({
        dir: flags.dir, config: flags.config, repo: flags.improperRepoCache || (all && repo) ? repo : undefined,
        cacheVersion: all || flags.improperCacheVersion === true, gitCommit: all || flags.improperGitCommit === true, dryRun: flags.dryRun === true,
      }, process.env);
      await emit(await cleanupLocalStages(options), flags);
    });
}
