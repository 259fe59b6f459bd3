import { spawn } from "node:child_process";
import { mkdir, rm, open } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { stopProcess, waitFor } from "../util/process.ts";
import { EngineError } from "../errors.ts";

/** A private Docker engine: its own data root, exec root and socket. Removed entirely on dispose. */
export interface PrivateEngine extends AsyncDisposable {
  readonly socketPath: string;
  readonly root: string;
  stop(): Promise<void>;
}

export interface StartEngineOptions {
  /** Directory that will hold everything of this engine; created, and deleted on stop. */
  root: string;
  /** overlay2 is fast; vfs works everywhere (e.g. on overlay-backed filesystems). */
  storageDriver?: "overlay2" | "vfs";
  dockerd?: string;
  timeoutMs?: number;
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/_ping", method: "GET", timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/**
 * Starts dockerd with a fresh data root, no iptables and no bridge (containers use
 * network mode none), and waits until it answers /_ping.
 */
export async function startEngine(opts: StartEngineOptions): Promise<PrivateEngine> {
  const root = opts.root;
  // The exec root holds the containerd socket path, which must stay short (108 bytes).
  const execRoot = join("/run/slipway", Buffer.from(root).toString("base64url").slice(-24));
  await mkdir(join(root, "data"), { recursive: true });
  await mkdir(execRoot, { recursive: true });
  const socketPath = join(root, "docker.sock");
  const log = await open(join(root, "dockerd.log"), "a");
  const child = spawn(
    opts.dockerd ?? "dockerd",
    [
      "--data-root", join(root, "data"),
      "--exec-root", execRoot,
      "-H", `unix://${socketPath}`,
      "--pidfile", join(root, "dockerd.pid"),
      `--storage-driver=${opts.storageDriver ?? "overlay2"}`,
      "--iptables=false",
      "--bridge=none",
    ],
    { stdio: ["ignore", log.fd, log.fd], detached: false },
  );
  let exited = false;
  child.once("exit", () => (exited = true));
  const stop = async () => {
    await stopProcess(child, 15_000);
    await log.close().catch(() => undefined);
    await rm(root, { recursive: true, force: true, maxRetries: 3 });
    await rm(execRoot, { recursive: true, force: true });
  };
  try {
    await waitFor(`dockerd at ${socketPath}`, async () => {
      if (exited) throw new EngineError(`dockerd exited early; see ${join(root, "dockerd.log")}`);
      return ping(socketPath);
    }, opts.timeoutMs ?? 60_000);
  } catch (err) {
    await stopProcess(child, 1000);
    throw err;
  }
  return { socketPath, root, stop, [Symbol.asyncDispose]: stop };
}
