/**
 * Which project a command builds: the config file when there is one, else the
 * Dockerfile (`--file`, or `Dockerfile` in --dir), with `docker build`'s flags.
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { CONFIG_FILE_NAMES } from "../config/file-names.ts";
import type { ProjectConfig } from "../config/types.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { loadDockerfileProject } from "./project.ts";

export interface ProjectSource {
  dir: string;
  config?: string;
  /** werf's --env: what config templates see as `.Env`. */
  werfEnv?: string;
  /** docker build's `--file`, `--target`, `--build-arg K=V` (or `K`, from the environment), `--network`. */
  file?: string;
  target?: string;
  buildArg?: string[];
  network?: string;
}

const exists = (p: string) => access(p).then(() => true, () => false);

export function parseBuildArgs(args: string[], env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--build-arg ${JSON.stringify(arg)}: expected NAME=VALUE or NAME`);
    // Like docker build: a bare NAME takes its value from the environment, and is left out when unset.
    const value = eq < 0 ? env[name] : arg.slice(eq + 1);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function networkFlag(mode: string | undefined): boolean {
  if (mode === undefined || mode === "none") return false;
  if (mode === "default" || mode === "bridge") return true;
  throw new UsageError(`--network ${mode}: expected default or none`);
}

export async function loadProject(src: ProjectSource, env: Record<string, string | undefined>): Promise<ProjectConfig> {
  const dir = path.resolve(src.dir);
  const dockerfileFlags = [src.file && "--file", src.target && "--target", src.buildArg?.length && "--build-arg", src.network && "--network"].filter(Boolean);
  let hasConfig = src.config !== undefined;
  for (const name of CONFIG_FILE_NAMES) hasConfig ||= await exists(path.join(dir, name));
  const hasDockerfile = src.file !== undefined || (await exists(path.join(dir, "Dockerfile")));
  if (!hasConfig && !hasDockerfile) {
    throw new ConfigError(dir, undefined, undefined, undefined, `no config file found (looked for ${CONFIG_FILE_NAMES.join(", ")}) and no Dockerfile`);
  }
  if (hasConfig) {
    if (dockerfileFlags.length > 0) {
      throw new UsageError(`${dockerfileFlags.join(", ")}: only for a project without a config file (it builds its Dockerfile)`);
    }
    // Loaded only for a config file (YAML, templates, the schema): a Dockerfile build starts without them.
    const [{ loadConfig }, { resolveDockerfileImages }] = await Promise.all([import("../config/load.ts"), import("./werf.ts")]);
    const config = await loadConfig({ dir, configFile: src.config, env, werfEnv: src.werfEnv });
    await resolveDockerfileImages(config);
    return config;
  }
  return loadDockerfileProject({
    dir, file: src.file, target: src.target, buildArgs: parseBuildArgs(src.buildArg ?? [], env), network: networkFlag(src.network),
  });
}
