import { MemoryEngine } from "../../../src/engine/memory.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { engineContract } from "./contract.ts";

engineContract("in-memory", async () => {
  const registry = new MemoryRegistry("registry.memory.invalid");
  return { engine: new MemoryEngine({ registryFor: (host) => (host === registry.host ? registry : undefined) }), registryHost: registry.host, registry };
});
