import type { ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { startEngine, type PrivateEngine } from "../../engine/daemon.ts";
import { stopProcess } from "../../util/process.ts";
import type { LaunchSpec } from "../types.ts";
import { startBootstrap, type BootstrapOptions } from "./bootstrap.ts";
import { removeNodeRoot } from "./mounts.ts";

export interface NodeRunOptions {
  id: string;
  root: string;
  spec: LaunchSpec;
  bootstrap: BootstrapOptions;
  storageDriver?: "overlay2" | "vfs";
  /** Aborted with the reason when the node must end early (lifetime, terminate). */
  signal: AbortSignal;
  onRunning(bootstrapPid: number | undefined): Promise<void>;
  log?: (nodeId: string, line: string) => void;
}

/**
 * Resolves when the job process has exited and its output is read: 'close' follows 'exit'
 * once stdout/stderr end, unless a leftover background process holds them (then 2 s at most).
 */
function exited(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    const done = () => resolve(`job-finished (exit ${child.exitCode ?? child.signalCode})`);
    child.once("close", done);
    child.once("exit", () => setTimeout(done, 2_000).unref());
    if (child.exitCode !== null || child.signalCode !== null) setTimeout(done, 2_000).unref();
  });
}

function aborted(signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(String(signal.reason));
    else signal.addEventListener("abort", () => resolve(String(signal.reason)), { once: true });
  });
}

/** Forwards the job's output line by line; a chunk may end mid-line, so the rest waits for the next. */
function pipeLines(child: ChildProcess, id: string, log: NodeRunOptions["log"]): void {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) if (line) log?.(id, line);
    });
    stream?.on("end", () => rest && log?.(id, rest));
  }
}

/** Stops the job's whole process group, then lets the engine and the data root go. */
async function teardown(child: ChildProcess | undefined, engine: PrivateEngine | undefined, root: string): Promise<void> {
  const pid = child?.pid;
  if (child && pid && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }, 5_000);
    await stopProcess(child, 6_000);
    clearTimeout(timer);
  }
  await engine?.stop().catch(() => undefined);
  await removeNodeRoot(root);
}

/**
 * Runs one local build node to its end: a private engine with a fresh data root, the
 * job's bootstrap against it, and a teardown on every path. Resolves with why it ended.
 */
export async function runNode(o: NodeRunOptions): Promise<string> {
  let engine: PrivateEngine | undefined;
  let child: ChildProcess | undefined;
  const stop = aborted(o.signal);
  try {
    const workDir = join(o.root, "work");
    await mkdir(workDir, { recursive: true });
    const starting = startEngine({ root: join(o.root, "engine"), storageDriver: o.storageDriver });
    const first = await Promise.race([starting, stop]);
    if (typeof first === "string") {
      engine = await starting.catch(() => undefined);
      return first;
    }
    engine = first;
    const boot = await startBootstrap(o.bootstrap, { spec: o.spec, nodeId: o.id, dockerHost: `unix://${engine.socketPath}`, workDir });
    if (typeof boot === "string") return `runner-failed: ${boot}`;
    child = boot;
    pipeLines(child, o.id, o.log);
    await o.onRunning(child.pid);
    return await Promise.race([exited(child), stop]);
  } catch (err) {
    return `runner-failed: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    // A teardown that cannot finish must not take the fleet's process down with it.
    await teardown(child, engine, o.root).catch((err: unknown) => o.log?.(o.id, `teardown: ${err instanceof Error ? err.message : String(err)}`));
  }
}
