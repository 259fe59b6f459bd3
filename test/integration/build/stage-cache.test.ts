import { randomBytes } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { EngineStageCache } from "../../../src/build/cache/engine.ts";
import { RegistryStageCache } from "../../../src/build/cache/registry.ts";
import { RegistryStageStore } from "../../../src/build/remote/store.ts";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import { DockerEngine } from "../../../src/engine/docker.ts";
import { createRegistry } from "../../../src/registry/index.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { testEngine, testRegistry } from "../../support/services.ts";
import { stageCacheContract } from "../../unit/build/stage-cache-contract.ts";

let dockerd: PrivateEngine;
let server: LocalRegistry;
beforeAll(async () => {
  [dockerd, server] = await Promise.all([testEngine(), testRegistry()]);
});
afterAll(async () => {
  await Promise.all([dockerd?.stop(), server?.stop()]);
});

const engine = () => new DockerEngine({ socketPath: dockerd.socketPath });
const namespace = () => randomBytes(4).toString("hex");

stageCacheContract("engine images (private dockerd)", async () => {
  const e = engine();
  return { engine: e, cache: new EngineStageCache(e, `p-${namespace()}`) };
});

stageCacheContract("registry stages repository (private dockerd, docker-registry)", async () => {
  const e = engine();
  const store = new RegistryStageStore(createRegistry({ host: server.host }), `stages-${namespace()}`);
  return { engine: e, cache: new RegistryStageCache(store, e) };
});
