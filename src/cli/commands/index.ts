import type { Command } from "commander";
import { register as build } from "./build.ts";
import { registerCleanup } from "./cleanup.ts";
import { register as demo } from "./demo.ts";
import { register as fleet } from "./fleet.ts";
import { register as functions } from "./functions.ts";
import { register as registry } from "./registry.ts";

/** Every command module exports `register(program)`; this list is the CLI's table of contents. */
export type RegisterCommand = (program: Command) => void;

export const commandModules: RegisterCommand[] = [build, registry, registerCleanup, functions, fleet, demo];
