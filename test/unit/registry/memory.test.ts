import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { registryContract } from "./contract.ts";

registryContract("in-memory", () => new MemoryRegistry());
