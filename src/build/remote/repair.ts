/**
 * Builds and cleanup never race destructively. Cleanup keeps stages published within its
 * grace window, but a build may count on an older stage that no image names (found in the
 * registry when the build planned) which a cleanup then deletes. When a step finds such a
 * stage gone, the stage is made again (republished from the engine, or rebuilt) and the
 * step runs once more; after the final tags are written, every stage of every image is
 * looked up again, and whatever went missing meanwhile is made again too.
 */
import { StageGoneError } from "./store.ts";

/** Makes the stage with this digest again; false when the build's plan has no such stage. */
export type Remake = (digest: string) => Promise<boolean>;

/** How often one step may find a stage gone before the build gives up. */
const MAX_REPAIRS = 8;

/** Runs `step`; each time it finds a stage of the plan gone, remakes that stage and runs it again. */
export async function repairing<T>(remake: Remake, step: () => Promise<T>): Promise<T> {
  for (let repairs = 0; ; repairs++) {
    try {
      return await step();
    } catch (err) {
      if (!(err instanceof StageGoneError) || repairs >= MAX_REPAIRS || !(await remake(err.digest))) throw err;
    }
  }
}

/**
 * Looks every planned stage up again and remakes the missing ones, in plan order (a parent
 * before its children). Returns the digests remade, so their images' tags can be rewritten.
 */
export async function remakeMissing(digests: string[], find: (d: string[]) => Promise<Set<string>>, remake: Remake): Promise<Set<string>> {
  const present = await find(digests);
  const remade = new Set<string>();
  for (const d of digests) {
    if (present.has(d) || remade.has(d)) continue;
    if (await remake(d)) remade.add(d);
  }
  return remade;
}
