import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { findOnPath } from "../../util/process.ts";
import type { LaunchSpec } from "../types.ts";

/** How a local node runs its job: a real one-job GitLab runner, or a stand-in command. */
export interface BootstrapOptions {
  /** Path of gitlab-runner; found on PATH when absent. */
  gitlabRunner?: string;
  gitlabUrl?: string;
  /** Pool mode: the fleet's shared runner token (per-job mode uses the spec's runner). */
  runnerToken?: string;
  /** `sh -c` command run instead when no gitlab-runner (or no token) is available. */
  jobCommand?: string;
  /** Seconds gitlab-runner waits for its one job. */
  waitTimeoutSeconds?: number;
  /** Environment every node process starts from (the CLI passes its own). */
  baseEnv?: Record<string, string | undefined>;
}

function ciVariables(spec: LaunchSpec, o: BootstrapOptions, nodeId: string): Record<string, string> {
  return {
    CI: "true",
    GITLAB_CI: "true",
    CI_JOB_ID: String(spec.jobId),
    CI_PROJECT_ID: String(spec.projectId),
    ...(o.gitlabUrl ? { CI_SERVER_URL: o.gitlabUrl } : {}),
    SLIPWAY_NODE_ID: nodeId,
    ...spec.variables,
  };
}

/**
 * Starts the node's job process in its own process group (so teardown stops all of it),
 * or returns a reason when nothing can run the job.
 */
export async function startBootstrap(
  o: BootstrapOptions,
  ctx: { spec: LaunchSpec; nodeId: string; dockerHost: string; workDir: string },
): Promise<ChildProcess | string> {
  const base = o.baseEnv ?? {};
  const env = { ...base, ...ciVariables(ctx.spec, o, ctx.nodeId), DOCKER_HOST: ctx.dockerHost };
  const runner = o.gitlabRunner ?? (await findOnPath("gitlab-runner", base.PATH));
  const token = ctx.spec.runner?.token ?? o.runnerToken;
  let cmd: string;
  let args: string[];
  if (runner && token && o.gitlabUrl) {
    cmd = runner;
    // The token goes through the environment (CI_SERVER_TOKEN), never argv, which `ps` shows.
    Object.assign(env, { CI_SERVER_TOKEN: token });
    args = [
      "run-single", "--url", o.gitlabUrl, "--executor", "shell",
      "--max-builds", "1", "--wait-timeout", String(o.waitTimeoutSeconds ?? 300),
      "--builds-dir", join(ctx.workDir, "builds"), "--cache-dir", join(ctx.workDir, "cache"),
    ];
  } else if (o.jobCommand) {
    cmd = "/bin/sh";
    args = ["-c", o.jobCommand];
  } else {
    return "no gitlab-runner with a token and URL, and no SLIPWAY_JOB_COMMAND";
  }
  const child = spawn(cmd, args, { cwd: ctx.workDir, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const started = await new Promise<string | undefined>((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", (err) => resolve(`cannot start ${cmd}: ${err.message}`));
  });
  return started ?? child;
}
