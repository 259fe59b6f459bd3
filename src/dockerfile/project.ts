/**
 * A project that has only a Dockerfile: one nameless image whose stages come from
 * the Dockerfile, built with the context directory as `docker build` would.
 * Everything the digests need (expanded instructions, hashes of the files each
 * COPY/ADD selects) is read here, once, at the edge.
 */
import { readFile } from "node:fs/promises";
import { ArchiveError, isArchive } from "./archive.ts";
import { FetchError, fetchUrl, type UrlSource } from "./url.ts";
import path from "node:path";
import type { ImageConfig, ProjectConfig } from "../config/types.ts";
import { BuildError, ConfigError } from "../errors.ts";
import { hashSelected, MissingSource, readContext, select, type BuildContext } from "./context.ts";
import type { Mount } from "./mounts.ts";
import { dockerfileError, parseDockerfile } from "./parse.ts";
import { resolveDockerfile } from "./resolve.ts";
import type { DockerfileBuild, Step } from "./types.ts";

export interface DockerfileOptions {
  /** The context directory (`--dir`). */
  dir: string;
  /** `--file`, relative to the current directory; default `Dockerfile` in the context. */
  file?: string;
  target?: string;
  buildArgs: Record<string, string>;
  /** `--network`: whether RUN gets a network by default. */
  network: boolean;
}

async function selectFiles(build: DockerfileBuild, context: BuildContext): Promise<void> {
  for (const step of build.steps) {
    const op = step.op;
    if (op.op === "run") await selectMounted(build, context, step, op.mounts ?? []);
    if (op.op !== "copy" || op.from) continue;
    let picked;
    try {
      picked = select(context, op.sources, op.dest);
    } catch (err) {
      if (err instanceof MissingSource) throw dockerfileError(build.file, step.ins.line, `${step.ins.keyword}: ${err.message}`);
      throw err;
    }
    await fetchUrls(build, step, op.urls ?? []);
    op.selected = await hashSelected(context, picked, step.ins.keyword === "ADD" && op.unpack !== false ? unpacks(build, step) : undefined);
  }
}

/** URLs without --checksum are fetched now: their content's hash is their stage's input, as in BuildKit. */
async function fetchUrls(build: DockerfileBuild, step: Step, urls: UrlSource[]): Promise<void> {
  for (const source of urls.filter((u) => u.digest === "")) {
    try {
      Object.assign(source, await fetchUrl(source.url));
    } catch (err) {
      if (err instanceof FetchError) throw new BuildError("", step.label, `${step.ins.keyword}: ${err.message}`, undefined, { file: build.file, line: step.ins.line });
      throw err;
    }
  }
}

function unpacks(build: DockerfileBuild, step: Step): (data: Buffer) => Promise<boolean> {
  return (data) => isArchive(data).catch((err: unknown) => {
    if (err instanceof ArchiveError) throw dockerfileError(build.file, step.ins.line, `ADD: ${err.message}`);
    throw err;
  });
}

/** RUN --mount=type=bind of context files: the files it binds, hashed like a COPY's. */
async function selectMounted(build: DockerfileBuild, context: BuildContext, step: Step, mounts: Mount[]): Promise<void> {
  for (const mount of mounts) {
    if (mount.type !== "bind" || mount.from) continue;
    try {
      mount.selected = await hashSelected(context, select(context, [mount.source], "/mount/"));
    } catch (err) {
      if (err instanceof MissingSource) throw dockerfileError(build.file, step.ins.line, `RUN --mount: ${err.message}`);
      throw err;
    }
  }
}

/** Reads, resolves and hashes what one Dockerfile build needs. `shownFrom`: errors name files relative to it. */
export async function loadDockerfileBuild(opts: DockerfileOptions, shownFrom = opts.dir): Promise<DockerfileBuild> {
  const dir = path.resolve(opts.dir);
  const file = opts.file ? path.resolve(opts.file) : path.join(dir, "Dockerfile");
  const rel = path.relative(path.resolve(shownFrom), file);
  const shown = rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(shown, undefined, undefined, undefined, `cannot read Dockerfile: ${(err as Error).message}`);
  }
  const parsed = parseDockerfile(text, shown);
  const resolved = resolveDockerfile(parsed, { target: opts.target, buildArgs: opts.buildArgs, network: opts.network });
  const context = await readContext(dir);
  const build: DockerfileBuild = { file: shown, escape: parsed.escape, context, ...resolved };
  await selectFiles(build, context);
  return build;
}

/** An image whose stages come from a Dockerfile: every stapel field empty. */
export function dockerfileImageConfig(name: string, network: boolean, location: ImageConfig["location"]): ImageConfig {
  return {
    name,
    kind: "image",
    git: [],
    shell: { beforeInstall: [], install: [], beforeSetup: [], setup: [], stageCacheVersions: {} },
    docker: { volume: [], env: {}, label: {}, expose: [] },
    imports: [],
    mounts: [],
    dependencies: [],
    gitVisibility: "strict",
    network,
    location,
  };
}

export async function loadDockerfileProject(opts: DockerfileOptions): Promise<ProjectConfig> {
  const dir = path.resolve(opts.dir);
  const build = await loadDockerfileBuild(opts);
  const image: ImageConfig = { ...dockerfileImageConfig("", opts.network, { file: build.file, line: 1 }), dockerfile: build };
  return { project: path.basename(dir), configVersion: 1, file: path.resolve(dir, build.file), dir, images: [image] };
}
