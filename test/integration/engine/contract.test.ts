import { afterAll, beforeAll } from "vitest";
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

engineContract("DockerEngine on a private dockerd", async () => ({
  engine: new DockerEngine({ socketPath: dockerd.socketPath }),
  registryHost: server.host,
  registry: createRegistry({ host: server.host }),
}));
