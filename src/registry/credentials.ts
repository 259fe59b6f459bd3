import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors.ts";
import { run } from "../util/process.ts";
import type { Credential, CredentialSource } from "./types.ts";

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** A fixed credential for every host (e.g. from CLI flags or a CI variable). */
export function staticCredentials(credential: Credential): CredentialSource {
  return { get: async () => credential };
}

/** First source that has something for the host wins. */
export function chainCredentials(...sources: CredentialSource[]): CredentialSource {
  return {
    async get(host) {
      for (const s of sources) {
        const c = await s.get(host);
        if (c) return c;
      }
      return undefined;
    },
  };
}

/** Docker keys Docker Hub credentials under its v1 index URL. */
const hubAliases = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);
const serverUrl = (host: string) => (hubAliases.has(host) ? "https://index.docker.io/v1/" : host);

/** "https://host:5000/v1/" -> "host:5000", for matching config keys to a host. */
function normalizeKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, "").split("/")[0].toLowerCase();
  return hubAliases.has(host) ? "docker.io" : host;
}

function fromAuthEntry(entry: NonNullable<DockerConfig["auths"]>[string]): Credential | undefined {
  if (entry.identitytoken) return { identityToken: entry.identitytoken };
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

/**
 * Runs `docker-credential-<helper> get` with the server URL on stdin. A helper
 * that is not installed, or has nothing for this server, yields undefined so the
 * next source is tried.
 */
export async function fromHelper(helper: string, host: string, env?: NodeJS.ProcessEnv): Promise<Credential | undefined> {
  const result = await run(`docker-credential-${helper}`, ["get"], { input: serverUrl(host), env }).catch(() => undefined);
  if (!result || result.code !== 0) return undefined;
  try {
    const out = JSON.parse(result.stdout) as { Username?: string; Secret?: string };
    if (!out.Secret) return undefined;
    // Helpers return identity tokens with the conventional username "<token>".
    return out.Username === "<token>" ? { identityToken: out.Secret } : { username: out.Username ?? "", password: out.Secret };
  } catch {
    return undefined;
  }
}

/** Credentials from a parsed Docker config.json, in Docker's order: credHelpers[host], credsStore, auths[host]. */
export function dockerConfigSource(config: DockerConfig, env?: NodeJS.ProcessEnv): CredentialSource {
  return {
    async get(host) {
      const key = normalizeKey(host);
      const helper = Object.entries(config.credHelpers ?? {}).find(([k]) => normalizeKey(k) === key)?.[1];
      if (helper) {
        const c = await fromHelper(helper, host, env);
        if (c) return c;
      }
      if (config.credsStore) {
        const c = await fromHelper(config.credsStore, host, env);
        if (c) return c;
      }
      const entry = Object.entries(config.auths ?? {}).find(([k]) => normalizeKey(k) === key)?.[1];
      return entry ? fromAuthEntry(entry) : undefined;
    },
  };
}

/**
 * Credentials from a Docker config.json file. The edge decides the path
 * ($DOCKER_CONFIG/config.json or ~/.docker/config.json); a missing file means
 * anonymous access, a malformed one is a ConfigError.
 */
export function dockerConfigCredentials(opts: { path: string; env?: NodeJS.ProcessEnv }): CredentialSource {
  let loaded: Promise<CredentialSource> | undefined;
  const load = async (): Promise<CredentialSource> => {
    let text: string;
    try {
      text = await readFile(opts.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { get: async () => undefined };
      throw err;
    }
    try {
      return dockerConfigSource(JSON.parse(text) as DockerConfig, opts.env);
    } catch (err) {
      throw new ConfigError(opts.path, undefined, undefined, undefined, `not valid JSON: ${(err as Error).message}`);
    }
  };
  return { get: async (host) => (await (loaded ??= load())).get(host) };
}

/** Where Docker looks for config.json, given the environment (call at the edge). */
export function dockerConfigPath(env: NodeJS.ProcessEnv, home: string): string {
  return env.DOCKER_CONFIG ? `${env.DOCKER_CONFIG}/config.json` : `${home}/.docker/config.json`;
}
