import { imageRepository } from "../build/names.ts";
import { parseStagesRepo, stagesRepoProblem, type StagesRepo } from "../registry/repo.ts";

/** Where a final image lives: REPO for the nameless image, REPO/<image> otherwise (the builder's rule). */
export const finalRepository = imageRepository;

/** `host[:port]/path` -> host and repository path (the one REPO grammar); undefined when it is not one. */
export function splitRepo(ref: string): StagesRepo | undefined {
  return stagesRepoProblem(ref) === undefined ? parseStagesRepo(ref) : undefined;
}
