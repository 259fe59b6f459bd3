/**
 * The registry dependency cache of a `bp`, from settings the CLI read: the stages
 * repository, the scope (./scope.ts) and the size limit (`--cache-max-size`, else
 * SLIPWAY_CACHE_MAX_SIZE, else 512 MiB).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { UsageError } from "../errors.ts";
import { parseStagesRepo } from "../registry/repo.ts";
import type { Registry } from "../registry/types.ts";
import { scopeFrom } from "./scope.ts";
import type { CacheRestore, CacheSave, DependencyCache } from "./types.ts";

export const DEFAULT_CACHE_MAX_BYTES = 512 * 1024 * 1024;

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kib: 1024, kb: 1e3, m: 1024 ** 2, mib: 1024 ** 2, mb: 1e6, g: 1024 ** 3, gib: 1024 ** 3, gb: 1e9 };

/** `512MiB`, `2G` (binary), `500MB` (decimal), `1048576` (bytes). */
export function parseSize(text: string, what = "--cache-max-size"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`${what}: invalid size ${JSON.stringify(text)} (e.g. 512MiB, 2GiB, 500MB, or bytes)`);
  return Math.floor(Number(m[1]) * unit);
}

export interface CacheFlags {
  cacheRef?: string;
  cacheDefaultBranch?: string;
  cacheMaxSize?: string;
}

async function checkedOutBranch(dir: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)("git", ["symbolic-ref", "--short", "-q", "HEAD"], { cwd: dir });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function registryDependencyCache(o: {
  repo: string; project: string; dir: string; flags: CacheFlags; env: Record<string, string | undefined>; registryFor: (host: string) => Registry;
}): Promise<DependencyCache> {
  const maxBytes = o.flags.cacheMaxSize !== undefined ? parseSize(o.flags.cacheMaxSize)
    : o.env.SLIPWAY_CACHE_MAX_SIZE ? parseSize(o.env.SLIPWAY_CACHE_MAX_SIZE, "SLIPWAY_CACHE_MAX_SIZE") : DEFAULT_CACHE_MAX_BYTES;
  const { host, repository } = parseStagesRepo(o.repo);
  const needsBranch = !o.flags.cacheRef && !o.env.CI_COMMIT_REF_NAME;
  const scope = scopeFrom(o.flags, o.env, needsBranch ? await checkedOutBranch(o.dir) : undefined);
  const registry = o.registryFor(host);
  return new LazyCache(async () => new (await import("./registry-cache.ts")).RegistryDependencyCache({ registry, repository, project: o.project, scope, maxBytes }));
}

/**
 * A cache whose module (archives, fingerprints, tar) is loaded when a stage first mounts
 * a cache: most jobs never do, and a warm job's start-up is mostly module loading.
 * Settings are read and checked before (a bad size still fails at once, exit 2).
 */
class LazyCache implements DependencyCache {
  #cache?: Promise<DependencyCache>;

  constructor(private readonly make: () => Promise<DependencyCache>) {}

  #get(): Promise<DependencyCache> {
    return (this.#cache ??= this.make());
  }

  async restore(id: string, dir: string): Promise<CacheRestore> {
    return (await this.#get()).restore(id, dir);
  }

  async save(id: string, dir: string, restored: CacheRestore, options?: { readOnly?: boolean }): Promise<CacheSave> {
    return (await this.#get()).save(id, dir, restored, options);
  }
}
