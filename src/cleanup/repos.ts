import { digestOfStageTag, imageRepository, repoComponent } from "../build/names.ts";
import { parseStagesRepo, stagesRepoProblem, type StagesRepo } from "../registry/repo.ts";
import type { Registry } from "../registry/types.ts";

/** Where a final image lives: REPO for the nameless image, REPO/<image> otherwise (the builder's rule). */
export const finalRepository = imageRepository;

/** `host[:port]/path` -> host and repository path (the one REPO grammar); undefined when it is not one. */
export function splitRepo(ref: string): StagesRepo | undefined {
  return stagesRepoProblem(ref) === undefined ? parseStagesRepo(ref) : undefined;
}

/** Every repository name of a registry (ECR: DescribeRepositories). Registries that cannot list have none. */
export type RepositoryLister = () => Promise<string[]>;

/**
 * The image names whose repositories cleanup must visit: the config's images, plus every
 * `REPO/<name>` the registry lists that no config image maps to. An image dropped from
 * the config (or a project whose config the scheduled function never reads) still has
 * tags slipway wrote, and they are cleaned like any other. One level only, and never a
 * repository holding stage tags: `REPO/<x>` with stages is another project's REPO nested
 * under ours, not one of our image repositories.
 */
export async function imagesToClean(registry: Registry, repo: string, configured: string[], list?: RepositoryLister): Promise<string[]> {
  if (!list) return configured;
  const covered = new Set(configured.map((name) => finalRepository(repo, name)));
  const candidates = (await list()).filter((name) => {
    const rest = name.startsWith(`${repo}/`) ? name.slice(repo.length + 1) : "";
    return rest !== "" && !rest.includes("/") && repoComponent(rest) === rest && !covered.has(name);
  });
  const found: string[] = [];
  for (const name of candidates) {
    const tags = await registry.listTags(name);
    if (!tags.some((t) => digestOfStageTag(t) !== undefined)) found.push(name.slice(repo.length + 1));
  }
  return [...configured, ...found.sort()];
}
