import { afterAll, beforeAll } from "vitest";
import { createRegistry } from "../../../src/registry/index.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { testRegistry } from "../../support/services.ts";
import { registryContract } from "../../unit/registry/contract.ts";
import { fastRetry } from "../../unit/registry/fixtures.ts";

let server: LocalRegistry;
beforeAll(async () => {
  server = await testRegistry();
});
afterAll(async () => {
  await server?.stop();
});

registryContract("OCI client on docker-registry 2.8", () => createRegistry({ host: server.host, retry: fastRetry() }));
