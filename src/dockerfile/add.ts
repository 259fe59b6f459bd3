/** ADD's own sources and flags (URLs, git, --checksum, --unpack, --keep-git-dir), read when the step is made. */
import { dockerfileError, type Instruction } from "./parse.ts";
import type { StageScope } from "./steps.ts";
import type { Op } from "./types.ts";
import { checksumOf, isGitSource, isUrl } from "./url.ts";

function boolFlag(file: string, ins: Instruction, name: string): boolean | undefined {
  const text = ins.flags.get(name);
  if (text === undefined) return undefined;
  if (text === null || text === "true") return true;
  if (text === "false") return false;
  throw dockerfileError(file, ins.line, `${ins.keyword} --${name}=${text}: expected true or false`);
}

/**
 * ADD's sources: git refused by name; http(s) URLs only when the image's network allows
 * them (they are fetched), `--checksum` for one URL; the rest are context files.
 */
export function addSources(scope: StageScope, ins: Instruction, sources: string[], dest: string): { local: string[]; more: Partial<Extract<Op, { op: "copy" }>> } {
  const fail = (why: string) => dockerfileError(scope.df.file, ins.line, why);
  const git = sources.find(isGitSource);
  if (git) throw fail(`ADD of a git repository (${git}) is not supported`);
  if (ins.flags.has("keep-git-dir")) throw fail("ADD --keep-git-dir is only for git sources, which are not supported");
  const other = sources.find((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !isUrl(s));
  if (other) throw fail(`ADD of a URL (${other}): only http and https URLs are supported`);
  const urls = sources.filter(isUrl);
  const checksumText = ins.flags.get("checksum");
  const checksum = checksumText === undefined ? undefined : checksumOf(checksumText ?? "");
  if (checksumText !== undefined && checksum === undefined) throw fail(`ADD --checksum=${checksumText ?? ""}: expected sha256:<64 hex digits>`);
  if (checksum !== undefined && (urls.length !== 1 || sources.length !== 1)) throw fail("ADD --checksum needs exactly one source, an http(s) URL");
  if (urls.length > 0 && !scope.network) throw fail(`ADD of a URL (${urls[0]}) needs the network, and this image's network is none (network: default in the config, or --network default)`);
  const destIsDir = dest.endsWith("/") || dest === "." || dest.endsWith("/.");
  if (urls.length > 0 && sources.length > 1 && !destIsDir) throw fail("ADD: with more than one source file the destination must be a directory and end with a /");
  const unpack = boolFlag(scope.df.file, ins, "unpack");
  const more = { ...(urls.length > 0 ? { urls: urls.map((url) => ({ url, digest: checksum ?? "" })) } : {}), ...(unpack !== undefined ? { unpack } : {}) };
  return { local: sources.filter((s) => !isUrl(s)), more };
}

