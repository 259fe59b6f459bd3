import { dirname, join } from "node:path";
import { nodeToolchain, type ToolchainLog, type ToolchainSource } from "../ansible/toolchain.ts";
import { loadProject, type ProjectSource } from "../dockerfile/entry.ts";
import { DockerEngine, executorFrom } from "../engine/docker.ts";
import { engineSocket } from "../engine/socket.ts";
import { registryClients } from "../registry/clients.ts";
import { dockerConfigCredentials, dockerConfigPath, parseEcrHosts } from "../registry/index.ts";
import { parseStagesRepo } from "../registry/repo.ts";
import type { Registry } from "../registry/types.ts";
import { baseResolver } from "./base.ts";
import type { ProgressSink } from "./builder.ts";
import { RegistryStageStore } from "./remote/store.ts";
import { parseSshFlag } from "./secrets/binds.ts";
import { maskError, maskedProgress } from "./secrets/mask.ts";
import { BuildSecrets, parseSecretFlag } from "./secrets/values.ts";

/**
 * The builder's dependencies, wired once from settings the host (the CLI) has read:
 * the config, the Docker engine (DOCKER_HOST, SLIPWAY_BUILD_NETWORK), registry clients
 * with docker config credentials (ECR hosts from SLIPWAY_ECR_HOSTS), and base-image resolution. Every building command
 * (plan, build, bp, push, stages) takes this one context.
 */
export interface BuilderWiring {
  dir: string;
  configFile?: string;
  /** werf's --env: what config templates see as .Env. */
  werfEnv?: string;
  images: string[];
  /** docker build's flags, for a project without a config file (src/dockerfile/entry.ts). */
  dockerfile?: Pick<ProjectSource, "file" | "target" | "buildArg" | "network">;
  env: Record<string, string | undefined>;
  /** The user's home, where ~/.docker/config.json lives. */
  home: string;
  /** SLIPWAY_HOME or ~/.slipway: node-local state (build_dir mounts). */
  slipwayHome: string;
  progress: ProgressSink;
  /** `--secret` flags (docker build's form). */
  secrets?: string[];
  /** `--ssh default[=SOCKET]`. */
  ssh?: string;
}

export async function builderContext(o: BuilderWiring) {
  const secretFlags = (o.secrets ?? []).map(parseSecretFlag);
  const sshSocket = o.ssh !== undefined ? await parseSshFlag(o.ssh, o.env) : undefined;
  const config = await loadProject({ dir: o.dir, config: o.configFile, werfEnv: o.werfEnv, ...o.dockerfile }, o.env);
  const secrets = new BuildSecrets({ env: o.env, home: o.home, dir: config.dir, flags: secretFlags });
  const credentials = dockerConfigCredentials({ path: dockerConfigPath(o.env, o.home), env: o.env });
  const registryFor = registryClients(credentials, undefined, parseEcrHosts(o.env.SLIPWAY_ECR_HOSTS));
  // The engine pushes and pulls stages itself: on ECR it needs the token slipway's client holds.
  const engine = new DockerEngine({ socketPath: engineSocket(o.env), credentials: registryFor.credentials, buildNetwork: o.env.SLIPWAY_BUILD_NETWORK, executor: executorFrom(o.env.SLIPWAY_EXECUTOR) });
  return {
    config,
    images: o.images,
    engine,
    credentials,
    registryFor,
    resolveBase: baseResolver({ engine, credentials, registryFor }),
    buildDir: join(o.slipwayHome, "build_dir"),
    // Every value read is hidden in command output from here on.
    progress: maskedProgress(o.progress, () => secrets.values()),
    secrets,
    ...(sshSocket ? { sshSocket } : {}),
    /** Runs a verb with secret values masked in any error it throws (the edge prints messages). */
    masked: async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        throw maskError(err, secrets.values());
      }
    },
    // Dependency caches get clients of their own, so their bytes stay out of the stages' byte counts.
    cacheRegistryFor: registryClients(credentials, undefined, parseEcrHosts(o.env.SLIPWAY_ECR_HOSTS)),
  };
}

export type BuilderContext = Awaited<ReturnType<typeof builderContext>>;

/** REPO as `host[:port]/path` (docs/grammars.md): the stages repository; images go to REPO and REPO/<image>. */
export function stageStore(repo: string, registryFor: (host: string) => Registry): RegistryStageStore {
  const { host, repository } = parseStagesRepo(repo);
  return new RegistryStageStore(registryFor(host), repository);
}

/**
 * The Ansible toolchain of a build with a stages repository: the one REPO has for this
 * node's recipe (fetched when a stage runs), else this node's, published to REPO when
 * `publish` (`bp`, `push`, `stages push`; `plan --repo` only reads). Kept under
 * SLIPWAY_HOME/ansible. Its registry client is the dependency caches' (not the stages').
 */
export function ansibleToolchains(ctx: Pick<BuilderContext, "buildDir" | "cacheRegistryFor">, repo: string, publish: boolean, log: ToolchainLog, env: Record<string, string | undefined>): ToolchainSource {
  return async () => {
    const { registryToolchains } = await import("../ansible/publish.ts");
    const { host, repository } = parseStagesRepo(repo);
    const remote = registryToolchains(ctx.cacheRegistryFor(host), repository, { publish, log });
    return nodeToolchain(join(dirname(ctx.buildDir), "ansible"), env, undefined, remote, log);
  };
}
