import type { Command } from "commander";
import { writeFile, rename } from "node:fs/promises";
import type { BuildReport } from "../../build/report.ts";
import { addProjectFlags, engineSocket, slipwayHome, useColor, type ProjectFlags } from "../context.ts";

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

/** REPO as `host[:port]/path`: the stages repository; images go to REPO and REPO/<image>. */
export async function stageStore(repo: string, registryFor: (host: string) => import("../../registry/types.ts").Registry) {
  const { parseImageRef } = await import("../../registry/index.ts");
  const { RegistryStageStore } = await import("../../build/remote/store.ts");
  const { UsageError } = await import("../../errors.ts");
  if (!repo.includes("/") || /[:@][^/]*$/.test(repo.slice(repo.indexOf("/")))) {
    throw new UsageError(`REPO must be host/repository without a tag (got ${JSON.stringify(repo)})`);
  }
  const ref = parseImageRef(repo);
  return new RegistryStageStore(registryFor(ref.registry), ref.repository);
}

/** Loads config and wires the builder's dependencies from flags and the environment. */
export async function builderContext(flags: ProjectFlags, images: string[]) {
  const { loadProject } = await import("../../dockerfile/entry.ts");
  const { DockerEngine } = await import("../../engine/docker.ts");
  const { baseResolver } = await import("../../build/base.ts");
  const { textProgress } = await import("../progress.ts");
  const { dockerConfigCredentials, dockerConfigPath } = await import("../../registry/index.ts");
  const { homedir } = await import("node:os");
  const { join } = await import("node:path");
  const config = await loadProject(flags, process.env);
  const { registryClients } = await import("../../registry/clients.ts");
  const credentials = dockerConfigCredentials({ path: dockerConfigPath(process.env, homedir()), env: process.env });
  const registryFor = registryClients(credentials);
  const engine = new DockerEngine({ socketPath: engineSocket(process.env), credentials, buildNetwork: process.env.SLIPWAY_BUILD_NETWORK });
  return {
    config,
    images,
    engine,
    credentials,
    registryFor,
    resolveBase: baseResolver({ engine, credentials, registryFor }),
    buildDir: join(slipwayHome(process.env), "build_dir"),
    progress: textProgress({ stream: process.stderr, gitlab: process.env.GITLAB_CI !== undefined, color: useColor(process.env, process.stderr) }),
  };
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
      await emitReport(await planImages({ ...ctx, remote }), flags);
    });
  addProjectFlags(
    program.command("build").argument("[images...]", "images to build (default: all)").description("build the images' stages on the local Docker engine"),
  ).action(async (images: string[], flags: ProjectFlags) => {
    const { buildImages } = await import("../../build/builder.ts");
    await emitReport(await buildImages(await builderContext(flags, images)), flags);
  });
}
