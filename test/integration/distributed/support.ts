import { DockerEngine } from "../../../src/engine/docker.ts";
import { createRegistry, type Registry } from "../../../src/registry/index.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { run } from "../../../src/util/process.ts";
import { parseManifest } from "../../../src/image/index.ts";

/** Every layer digest referenced by any manifest of these repositories. */
export async function layerDigests(registry: Registry, repos: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const repo of repos) {
    for (const tag of await registry.listTags(repo)) {
      const m = await registry.getManifest(repo, tag);
      if (m) for (const l of parseManifest(m.body).layers) out.add(l.digest);
    }
  }
  return out;
}

/** Checks that `repo:tag` is a complete image: manifest, config and every layer GET. */
export async function assertComplete(registry: Registry, repo: string, tag: string): Promise<void> {
  const m = await registry.getManifest(repo, tag);
  if (!m) throw new Error(`${repo}:${tag} has no manifest`);
  const manifest = parseManifest(m.body);
  await registry.getBlob(repo, manifest.config.digest);
  for (const l of manifest.layers) await registry.getBlob(repo, l.digest);
}

export function client(reg: LocalRegistry): Registry {
  return createRegistry({ host: reg.host });
}

/** Pulls `ref` into an engine and runs it (network none); returns stdout. */
export async function pullAndRun(socketPath: string, ref: string, args: string[] = []): Promise<string> {
  const engine = new DockerEngine({ socketPath });
  await engine.pull(ref);
  const res = await run("/usr/bin/docker", ["run", "--rm", "--network", "none", ref, ...args], { env: { ...process.env, DOCKER_HOST: `unix://${socketPath}` } });
  if (res.code !== 0) throw new Error(`docker run ${ref}: ${res.stderr}`);
  return res.stdout;
}
