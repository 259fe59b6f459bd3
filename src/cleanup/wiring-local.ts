import { loadProject } from "../dockerfile/entry.ts";
import { DockerEngine } from "../engine/docker.ts";
import { engineSocket } from "../engine/socket.ts";
import { missingCommits } from "../gitrefs/commits.ts";
import { digestOfStageTag } from "../build/names.ts";
import type { LocalCleanupOptions } from "./local.ts";
import { parseRepo, registryAndDeleter } from "./wiring.ts";

export interface LocalWiringFlags {
  dir: string;
  config?: string;
  repo?: string;
  cacheVersion: boolean;
  gitCommit: boolean;
  dryRun: boolean;
}

/** `stages cleanup local` from flags and the environment (DOCKER_HOST, docker config). */
export async function localCleanupOptions(flags: LocalWiringFlags, env: Record<string, string | undefined>): Promise<LocalCleanupOptions> {
  // The project a build would load: a Dockerfile-only project is cleaned like any other.
  const config = await loadProject({ dir: flags.dir, config: flags.config }, env);
  const repo = flags.repo ? parseRepo(flags.repo) : undefined;
  const registry = repo ? (await registryAndDeleter(repo.host, env)).registry : undefined;
  return {
    engine: new DockerEngine({ socketPath: engineSocket(env) }),
    project: config.project,
    improperCacheVersion: flags.cacheVersion,
    ...(flags.gitCommit && { missingCommits: (shas: string[]) => missingCommits(config.dir, shas) }),
    ...(registry && repo && {
      registryStages: async () => new Set((await registry.listTags(repo.repository)).map(digestOfStageTag).filter((d): d is string => d !== undefined)),
    }),
    dryRun: flags.dryRun,
  };
}
