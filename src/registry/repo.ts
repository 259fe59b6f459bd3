import { UsageError } from "../errors.ts";
import { parseImageRef } from "./ref.ts";

/**
 * The stages repository every registry command takes (`bp`, `push`, `stages pull|push`,
 * `cleanup repo`, SLIPWAY_REPO): one parser, so a REPO one command accepts, all accept.
 *
 *     REPO = host [":" port] "/" path      (no tag, no digest)
 *
 * The host is explicit (it has a dot or a port, is `localhost`, or is a bracketed IPv6
 * address): a bare `team/app` would silently mean Docker Hub. The path follows the OCI
 * distribution spec (lowercase components joined by `.`, `_`, `__` or dashes).
 */
export interface StagesRepo {
  /** Registry host as the client speaks to it (`docker.io` for Docker Hub's aliases). */
  host: string;
  /** Repository path inside the registry. */
  repository: string;
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const PATH = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

function problem(text: string): string | undefined {
  const slash = text.indexOf("/");
  const host = slash > 0 ? text.slice(0, slash) : "";
  const path = slash > 0 ? text.slice(slash + 1) : "";
  const explicit = host.includes(".") || host.includes(":") || host === "localhost" || host.startsWith("[");
  if (!explicit || !HOST.test(host)) return "must start with a registry host (host[:port]/repository, e.g. registry.example.com/team/app or localhost:5000/app)";
  if (/[:@]/.test(path)) return "must not carry a tag or digest (tags come from --tag, --tag-ci, ...)";
  if (!PATH.test(path)) return "has an invalid repository path (lowercase letters and digits, joined by '.', '_', '__' or '-', components separated by '/')";
  return undefined;
}

/** Parses REPO; a UsageError names `what` (REPO, SLIPWAY_REPO) and the rule broken. */
export function parseStagesRepo(text: string, what = "REPO"): StagesRepo {
  const why = problem(text);
  if (why) throw new UsageError(`${what} ${why} (got ${JSON.stringify(text)})`);
  const ref = parseImageRef(text);
  return { host: ref.registry, repository: ref.repository };
}

/** The reason `text` is not a REPO, or undefined when it is one. */
export function stagesRepoProblem(text: string): string | undefined {
  return problem(text);
}
