import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";

/** Options every project command shares. */
export interface ProjectFlags {
  dir: string;
  config?: string;
  json?: boolean;
  report?: string;
  /** werf's --env: what config templates see as `.Env`. */
  env?: string;
  /** A project without a config file builds its Dockerfile, with docker build's flags. */
  file?: string;
  target?: string;
  buildArg?: string[];
  network?: string;
  /** docker build's --secret id=X,src=FILE|env=VAR (repeatable). */
  secret?: string[];
  /** docker build's --ssh default[=SOCKET]. */
  ssh?: string;
}

const collectArg = (value: string, previous: string[] = []) => [...previous, value];

export function addProjectFlags(cmd: Command): Command {
  return cmd
    .option("--dir <dir>", "project directory", ".")
    .option("--config <file>", "config file (default: slipway.yaml, werf.yaml or dappfile.yml in --dir)")
    .option("--env <env>", "werf's --env: the value config templates see as .Env (default: WERF_ENV)")
    .option("--json", "print the result as one JSON document on stdout")
    .option("--report <file>", "also write the JSON result to a file")
    .option("-f, --file <dockerfile>", "Dockerfile to build when the project has no config file (default: Dockerfile in --dir)")
    .option("--target <stage>", "Dockerfile stage to build (default: the last)")
    .option("--build-arg <name=value>", "Dockerfile build argument (repeatable; NAME alone takes it from the environment)", collectArg)
    .option("--network <mode>", "network of Dockerfile RUN commands: none (default) or default")
    .option("--secret <id=X,src=FILE|env=VAR>", "a build secret for RUN --mount=type=secret (repeatable; docker build's form)", collectArg)
    .option("--ssh <default[=SOCKET]>", "forward the ssh agent ($SSH_AUTH_SOCK, or SOCKET) to user stages and RUN --mount=type=ssh");
}

export { engineSocket } from "../engine/socket.ts";

/** Where node-local state lives (build_dir mounts, the local fleet): SLIPWAY_HOME or ~/.slipway. */
export function slipwayHome(env: NodeJS.ProcessEnv): string {
  return resolve(env.SLIPWAY_HOME ?? join(homedir(), ".slipway"));
}

export function useColor(env: NodeJS.ProcessEnv, stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined;
}
