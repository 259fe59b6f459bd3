import { randomBytes } from "node:crypto";
import { EngineStageCache } from "../../../src/build/cache/engine.ts";
import { RegistryStageCache } from "../../../src/build/cache/registry.ts";
import { RegistryStageStore } from "../../../src/build/remote/store.ts";
import { MemoryEngine } from "../../../src/engine/memory.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { stageCacheContract } from "./stage-cache-contract.ts";

stageCacheContract("engine images (MemoryEngine)", async () => {
  const engine = new MemoryEngine();
  return { engine, cache: new EngineStageCache(engine, `p-${randomBytes(4).toString("hex")}`) };
});

stageCacheContract("registry stages repository (MemoryEngine, MemoryRegistry)", async () => {
  const registry = new MemoryRegistry("registry.memory.invalid");
  const engine = new MemoryEngine({ registryFor: (host) => (host === registry.host ? registry : undefined) });
  return { engine, cache: new RegistryStageCache(new RegistryStageStore(registry, `stages-${randomBytes(4).toString("hex")}`), engine) };
});
