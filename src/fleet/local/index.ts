export { createLocalFleet, type LocalFleet, type LocalFleetOptions } from "./provider.ts";
export type { BootstrapOptions } from "./bootstrap.ts";
