import { imageRepository } from "../build/names.ts";

/** Where a final image lives: REPO for the nameless image, REPO/<image> otherwise (the builder's rule). */
export const finalRepository = imageRepository;

/** `host[:port]/path` -> host and repository path. */
export function splitRepo(ref: string): { host: string; repository: string } | undefined {
  const slash = ref.indexOf("/");
  if (slash <= 0) return undefined;
  const host = ref.slice(0, slash);
  const repository = ref.slice(slash + 1);
  if (!(host.includes(".") || host.includes(":") || host === "localhost")) return undefined;
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)) return undefined;
  return { host, repository };
}
