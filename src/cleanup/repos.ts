import { repoComponent } from "../build/names.ts";

/**
 * The mapping from a config image name to the repository its final images live in
 * (src/build/names.ts): REPO for the nameless image, REPO/<image> otherwise. Same rule
 * as imageRepository in src/build/remote/final.ts (a test holds them equal); kept here
 * so cleanup does not load the builder and dockerode.
 */
export function finalRepository(repo: string, image: string): string {
  return image ? `${repo}/${repoComponent(image)}` : repo;
}

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
