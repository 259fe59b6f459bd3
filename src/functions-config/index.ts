export { parseFunctionsConfig, parseDuration, type FunctionsConfig } from "./config.ts";
export { serveFunctions, runScheduled, SCHEDULED, type RunningFunctions, type ServeOptions } from "./serve.ts";
export { createServices, functionEnvs, type Services } from "./wiring.ts";
