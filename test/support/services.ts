import { mkdtemp } from "node:fs/promises";
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
