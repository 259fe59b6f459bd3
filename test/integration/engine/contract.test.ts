import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import { DockerEngine } from "../../../src/engine/docker.ts";
import { createRegistry } from "../../../src/registry/index.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { testEngine, testRegistry } from "../../support/services.ts";
import { engineContract } from "../../unit/engine/contract.ts";

let dockerd: PrivateEngine;
let server: LocalRegistry;
beforeAll(async () => {
  [dockerd, server] = await Promise.all([testEngine(), testRegistry()]);
});
afterAll(async () => {
  await Promise.all([dockerd?.stop(), server?.stop()]);
});

// The same contract, whoever starts the command containers: runc on dockerd's layers (the default) or dockerd.
const engines = { runc: undefined as DockerEngine | undefined, engine: undefined as DockerEngine | undefined };
for (const executor of ["runc", "engine"] as const) {
  engineContract(`DockerEngine on a private dockerd, containers started by ${executor}`, async () => ({
    engine: (engines[executor] ??= new DockerEngine({ socketPath: dockerd.socketPath, executor })),
    registryHost: server.host,
    registry: createRegistry({ host: server.host }),
  }));
}

describe("the contract's runs", () => {
  it("were started by runc with the runc executor and by dockerd with the engine executor", () => {
    expect(engines.runc?.runs.runc).toBeGreaterThan(3);
    expect(engines.runc?.runs.engine).toBe(0);
    expect(engines.engine?.runs.runc).toBe(0);
    expect(engines.engine?.runs.engine).toBeGreaterThan(3);
  });
});
