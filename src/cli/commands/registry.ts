import { Command } from "commander";
import { rename, writeFile } from "node:fs/promises";
import type { BuildReport } from "../../build/report.ts";
import type { TagFlags } from "../../build/remote/tags.ts";
import type { CacheFlags } from "../../cache/wiring.ts";
import { addProjectFlags, type ProjectFlags } from "../context.ts";
import { builderContext, emitReport, stageStore, toolchainFrom } from "./build.ts";
import { registerStagesCleanup } from "./cleanup.ts";

interface RegistryFlags extends ProjectFlags, TagFlags, CacheFlags {
  dotenv?: string;
  withStages?: boolean;
  all?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function addTagFlags(cmd: Command): Command {
  return cmd
    .option("--tag-ci", "tag with CI_COMMIT_TAG if set, else CI_COMMIT_REF_NAME")
    .option("--tag-branch", "tag with CI_COMMIT_REF_NAME")
    .option("--tag-commit", "tag with CI_COMMIT_SHA")
    .option("--tag <tag>", "tag with TAG (repeatable)", collect)
    .option("--dotenv <file>", "write SLIPWAY_IMAGE_<NAME>=repo@sha256:... lines for a GitLab dotenv report");
}

async function writeDotenv(report: BuildReport, file: string, repo: string): Promise<void> {
  const { dotenvLines } = await import("../../build/remote/tags.ts");
  const { imageRepository } = await import("../../build/names.ts");
  const lines = dotenvLines(report.images.map((i) => ({ name: i.name, repository: imageRepository(repo, i.name), manifestDigest: i.manifestDigest })));
  await writeFile(`${file}.tmp`, lines);
  await rename(`${file}.tmp`, file);
}

async function dependencyCache(repo: string, ctx: Awaited<ReturnType<typeof builderContext>>, flags: RegistryFlags) {
  const { registryDependencyCache } = await import("../../cache/wiring.ts");
  return registryDependencyCache({ repo, project: ctx.config.project, dir: flags.dir, flags, env: process.env, registryFor: ctx.cacheRegistryFor });
}

async function publish(repo: string, images: string[], flags: RegistryFlags, mode: { build: boolean; tagged: boolean }): Promise<void> {
  const { tagsFromFlags } = await import("../../build/remote/tags.ts");
  const tags = mode.tagged ? tagsFromFlags(flags, process.env) : [];
  const ctx = await builderContext(flags, images);
  // Independent of each other: their modules load while the others wait on files.
  const [{ distributedBuild }, store, caches, ansibleToolchain] = await Promise.all([
    import("../../build/remote/distributed.ts"),
    stageStore(repo, ctx.registryFor),
    mode.build ? dependencyCache(repo, ctx, flags) : undefined,
    toolchainFrom(repo, ctx, true),
  ]);
  const report = await ctx.masked(() => distributedBuild({ ...ctx, store, build: mode.build, tags, ansibleToolchain, ...(caches && { caches }) }));
  if (flags.dotenv) await writeDotenv(report, flags.dotenv, repo);
  await emitReport(report, flags);
}

/** The `stages` command group; other modules add subcommands (e.g. `stages cleanup`). */
export function registerStages(program: Command): Command {
  const stages = program.command("stages").description("the stage cache in a registry");
  addProjectFlags(stages.command("pull").argument("<repo>", "stages repository (host/path)").argument("[images...]"))
    .option("--all", "pull every stage the registry has, not only what the next build needs")
    .description("warm the engine with what the next build needs (nothing when the registry has every stage)")
    .action(async (repo: string, images: string[], flags: RegistryFlags) => {
      const ctx = await builderContext(flags, images);
      const { pullStages } = await import("../../build/remote/pull.ts");
      const store = await stageStore(repo, ctx.registryFor);
      const ansibleToolchain = await toolchainFrom(repo, ctx, false);
      await emitReport(await ctx.masked(() => pullStages({ ...ctx, store, all: flags.all === true, ansibleToolchain })), flags);
    });
  addProjectFlags(stages.command("push").argument("<repo>", "stages repository (host/path)").argument("[images...]"))
    .description("publish the stages the engine has and the registry lacks")
    .action((repo: string, images: string[], flags: RegistryFlags) => publish(repo, images, flags, { build: false, tagged: false }));
  return stages;
}

export function register(program: Command): void {
  addTagFlags(addProjectFlags(program.command("push").argument("<repo>", "stages repository (host/path)").argument("[images...]")))
    .description("publish built images (and their stages) under the given tags")
    .action((repo: string, images: string[], flags: RegistryFlags) => publish(repo, images, flags, { build: false, tagged: true }));
  addTagFlags(addProjectFlags(program.command("bp").argument("<repo>", "stages repository (host/path)").argument("[images...]")))
    .option("--with-stages", "publish stages too (always done: a stage costs only a manifest once its layers are pushed)")
    .option("--cache-ref <ref>", "git ref whose dependency caches (build_dir, RUN --mount=type=cache) are read and saved (default: CI_COMMIT_REF_NAME, else the checked-out branch)")
    .option("--cache-default-branch <branch>", "branch whose caches a ref without its own starts from (default: CI_DEFAULT_BRANCH, else main)")
    .option("--cache-max-size <size>", "largest dependency cache saved to the registry, e.g. 512MiB, 2GiB (default: SLIPWAY_CACHE_MAX_SIZE, else 512MiB); larger ones are skipped with a warning")
    .description("build and publish: reuse every stage in the registry, build only what changed, write the tags")
    .action((repo: string, images: string[], flags: RegistryFlags) => publish(repo, images, flags, { build: true, tagged: true }));
  registerStagesCleanup(registerStages(program));
}
