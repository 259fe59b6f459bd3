import { UsageError } from "../errors.ts";
import type { ImageRef } from "./types.ts";

const DOCKER_HUB = "docker.io";

/**
 * Parses `[registry/]repository[:tag][@digest]` with Docker's rules: the first
 * path component is a registry only if it looks like a host (has a dot or a
 * port, or is "localhost"); otherwise the image is on Docker Hub, where
 * single-component names live under `library/`.
 */
export function parseImageRef(input: string): ImageRef {
  let rest = input.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) throw new UsageError(`invalid digest in image reference "${input}"`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new UsageError(`invalid tag in image reference "${input}"`);
  }
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  const isHost = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost" || first.startsWith("["));
  let registry = isHost ? first : DOCKER_HUB;
  let repository = isHost ? rest.slice(slash + 1) : rest;
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)) {
    throw new UsageError(`invalid repository name in image reference "${input}"`);
  }
  return { registry, repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** The canonical `registry/repository[:tag][@digest]` form (Docker Hub names stay fully qualified). */
export function formatImageRef(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** Host part of `host[:port]` / `[v6]:port`, lower-cased, without brackets. */
export function hostname(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]"));
  const colons = h.split(":").length - 1;
  return colons === 1 ? h.slice(0, h.indexOf(":")) : h; // more than one colon: bare IPv6
}

/** Loopback registries are spoken to over plain HTTP, as Docker does. */
export function isLoopback(host: string): boolean {
  const name = hostname(host);
  return name === "localhost" || name === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** Base URL of the registry API for a host. Docker Hub's API lives on registry-1.docker.io. */
export function registryBaseUrl(host: string, insecure = false): string {
  const scheme = insecure || isLoopback(host) ? "http" : "https";
  const apiHost = host === DOCKER_HUB ? "registry-1.docker.io" : host;
  return `${scheme}://${apiHost}`;
}
