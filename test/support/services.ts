import { mkdtemp } from "node:fs/promises";
import { afterAll, beforeAll } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEngine, type PrivateEngine } from "../../src/engine/daemon.ts";
import { startRegistry, type LocalRegistry, type StartRegistryOptions } from "../../src/registry/server.ts";

/** A fresh directory under the OS temp dir, unique per call. */
export async function scratchDir(prefix = "slipway-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A private Docker engine with a fresh data root; dispose it with `await using`. */
export async function testEngine(): Promise<PrivateEngine> {
  return startEngine({ root: await scratchDir("slipway-engine-") });
}

/** A CNCF distribution registry on a loopback port with deletes enabled. */
export async function testRegistry(opts: Omit<StartRegistryOptions, "root"> = {}): Promise<LocalRegistry> {
  return startRegistry({ root: await scratchDir("slipway-registry-"), ...opts });
}

/** What a CLI-level build test runs against: a private engine, a registry with the busybox base, and the CLI's env. */
export interface BuildWorld {
  engine: PrivateEngine;
  registry: LocalRegistry;
  /** `<registry>/base/busybox:1`, pushed. */
  base: string;
  /** DOCKER_HOST at the engine, a fresh SLIPWAY_HOME. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Pushes the busybox base image to `host` (with a short-lived engine of its own); returns its reference. */
export async function seedBase(host: string): Promise<string> {
  await using seed = await testEngine();
  const base = `${host}/base/busybox:1`;
  const { DockerEngine } = await import("../../src/engine/docker.ts");
  const { pushBaseImage } = await import("./base-image.ts");
  await pushBaseImage(new DockerEngine({ socketPath: seed.socketPath }), base);
  return base;
}

/**
 * For a test file's tests: a registry with the busybox base pushed, started before them
 * and stopped after them; `use` receives both.
 */
export function withRegistryAndBase(use: (registry: LocalRegistry, base: string) => void): void {
  let registry: LocalRegistry | undefined;
  beforeAll(async () => {
    registry = await testRegistry();
    use(registry, await seedBase(registry.host));
  });
  afterAll(async () => {
    await registry?.stop();
  });
}

export async function buildWorld(): Promise<BuildWorld> {
  const [engine, registry] = await Promise.all([testEngine(), testRegistry()]);
  const base = `${registry.host}/base/busybox:1`;
  const { DockerEngine } = await import("../../src/engine/docker.ts");
  const { pushBaseImage } = await import("./base-image.ts");
  await pushBaseImage(new DockerEngine({ socketPath: engine.socketPath }), base);
  const env = { DOCKER_HOST: `unix://${engine.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-") };
  return { engine, registry, base, env, stop: async () => void (await Promise.all([engine.stop(), registry.stop()])) };
}
