import type { Command } from "commander";
import { writeFile, rename } from "node:fs/promises";
import { homedir } from "node:os";
import type { BuildReport } from "../../build/report.ts";
import { addProjectFlags, slipwayHome, useColor, type ProjectFlags } from "../context.ts";

/** Prints the result: JSON with --json, else a table (both on stdout); --report writes it atomically. */
export async function emitReport(report: BuildReport, flags: ProjectFlags): Promise<void> {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (flags.report) {
    await writeFile(`${flags.report}.tmp`, json);
    await rename(`${flags.report}.tmp`, flags.report);
  }
  if (flags.json) {
    process.stdout.write(json);
    return;
  }
  for (const image of report.images) {
    process.stdout.write(`${image.name || "(nameless)"}  ${image.ref}\n`);
    for (const s of image.stages) {
      process.stdout.write(`  ${s.name.padEnd(22)} ${s.digest.slice(0, 12)}  ${s.status.padEnd(9)}${s.reason ? ` ${s.reason}` : ""}\n`);
    }
  }
}

/** REPO as `host[:port]/path`; the parser and the store live in the library (src/build/wiring.ts). */
export async function stageStore(repo: string, registryFor: (host: string) => import("../../registry/types.ts").Registry) {
  return (await import("../../build/wiring.ts")).stageStore(repo, registryFor);
}

/** The ansible toolchain of a build with stages repository REPO: found there, else this node's (published there when `publish`). */
export async function toolchainFrom(repo: string, ctx: Awaited<ReturnType<typeof builderContext>>, publish: boolean) {
  const { ansibleToolchains } = await import("../../build/wiring.ts");
  return ansibleToolchains(ctx, repo, publish, (line) => process.stderr.write(`${line}\n`), process.env);
}

/** The builder's context from flags and this process's environment; the wiring is the library's. */
export async function builderContext(flags: ProjectFlags, images: string[]) {
  const { builderContext: wire } = await import("../../build/wiring.ts");
  const { textProgress } = await import("../progress.ts");
  return wire({
    dir: flags.dir,
    configFile: flags.config,
    werfEnv: flags.env,
    dockerfile: { file: flags.file, target: flags.target, buildArg: flags.buildArg, network: flags.network },
    images,
    env: process.env,
    home: homedir(),
    slipwayHome: slipwayHome(process.env),
    secrets: flags.secret,
    ssh: flags.ssh,
    progress: textProgress({ stream: process.stderr, gitlab: process.env.GITLAB_CI !== undefined, color: useColor(process.env, process.stderr) }),
  });
}

export function register(program: Command): void {
  addProjectFlags(
    program.command("plan").argument("[images...]", "images to plan (default: all)").description("show every stage, its digest, where it is found and why it must be built"),
  )
    .option("--repo <repo>", "also look for stages in this registry repository (host/path)")
    .action(async (images: string[], flags: ProjectFlags & { repo?: string }) => {
      const { planImages } = await import("../../build/builder.ts");
      const ctx = await builderContext(flags, images);
      const remote = flags.repo ? await stageStore(flags.repo, ctx.registryFor) : undefined;
      // Planned with the repository's toolchain, so the digests are the ones `bp` would use; nothing is written.
      const ansibleToolchain = flags.repo ? await toolchainFrom(flags.repo, ctx, false) : undefined;
      await emitReport(await ctx.masked(() => planImages({ ...ctx, remote, ...(ansibleToolchain && { ansibleToolchain }) })), flags);
    });
  addProjectFlags(
    program.command("build").argument("[images...]", "images to build (default: all)").description("build the images' stages on the local Docker engine"),
  ).action(async (images: string[], flags: ProjectFlags) => {
    const { buildImages } = await import("../../build/builder.ts");
    const ctx = await builderContext(flags, images);
    await emitReport(await ctx.masked(() => buildImages(ctx)), flags);
  });
}
