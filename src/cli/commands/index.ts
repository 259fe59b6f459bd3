import type { Command } from "commander";

/** Every command module exports `register(program)`; this list is the CLI's table of contents. */
export type RegisterCommand = (program: Command) => void;

export const commandModules: RegisterCommand[] = [];
