export { parseFunctionsConfig, parseDuration, type FunctionsConfig } from "./config.ts";
export { createServices, functionEnvs, type Services } from "./wiring.ts";
