/**
 * A stand-in build node for bootstrap tests: a busybox root filesystem imported into a
 * private engine, with stand-ins for curl (IMDS), aws, gitlab-runner, systemctl, docker
 * and poweroff that record every call under /state (a host directory) and simulate the
 * failure paths the SIM_* variables ask for.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pack } from "tar-stream";
import { run, type RunResult } from "../../../src/util/process.ts";
import { readBootstrap, renderBootstrap, type NodeSettings } from "../../../infra/userdata.ts";

const DOCKER = "/usr/bin/docker";
const STAND_INS = new URL("./stand-ins/", import.meta.url);
/**
 * Applets a real node has as system commands: the stand-ins take their place. sh is dash, as on
 * Debian and Ubuntu nodes, because busybox's own sh runs its applets before looking at PATH,
 * which would bypass the poweroff stand-in.
 */
const REPLACED = new Set(["sh", "poweroff", "halt", "reboot", "shutdown"]);

/** The host's dash with the shared libraries it loads (ldd), so the image needs no package. */
function dashFiles(): [string, string][] {
  const libs = execFileSync("ldd", ["/bin/dash"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.match(/(\/\S+) \(0x/)?.[1])
    .filter((p): p is string => p !== undefined);
  return [["bin/sh", "/bin/dash"], ...libs.map((p): [string, string] => [p.slice(1), p])];
}

async function rootfs(): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on("data", (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => tar.on("end", resolve).on("error", reject));
  const dir = (name: string, mode = 0o755) => tar.entry({ name, type: "directory", mode });
  for (const d of ["bin", "lib", "lib64", "lib/x86_64-linux-gnu", "usr", "usr/local", "usr/local/bin", "var", "var/log", "var/lib", "state"]) dir(d);
  dir("tmp", 0o1777);
  tar.entry({ name: "bin/busybox", mode: 0o755 }, readFileSync("/bin/busybox"));
  const applets = execFileSync("/bin/busybox", ["--list"], { encoding: "utf8" }).split("\n").filter((a) => a && a !== "busybox" && !REPLACED.has(a));
  for (const a of applets) tar.entry({ name: `bin/${a}`, type: "symlink", linkname: "busybox" });
  for (const [name, from] of dashFiles()) tar.entry({ name, mode: 0o755 }, readFileSync(realpathSync(from)));
  for (const f of readdirSync(STAND_INS)) tar.entry({ name: `usr/local/bin/${f}`, mode: 0o755 }, readFileSync(new URL(f, STAND_INS)));
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Imports the node image into the engine at `socket`; returns its reference. */
export async function buildNodeImage(socket: string, workDir: string): Promise<string> {
  const file = join(workDir, "node-rootfs.tar");
  writeFileSync(file, await rootfs());
  const ref = "slipway-test/node:1";
  const res = await run(DOCKER, ["-H", `unix://${socket}`, "import", file, ref]);
  if (res.code !== 0) throw new Error(`docker import failed: ${res.stderr}`);
  return ref;
}

export interface NodeRun extends RunResult {
  /** Every stand-in call, in order. */
  calls: string[];
  poweroffs: number;
  runnerArgs: string[];
  seconds: number;
  /** The node's /state directory on the host. */
  dir: string;
}

export interface NodeCase {
  socket: string;
  image: string;
  dir: string;
  token: string;
  settings?: NodeSettings;
  sim?: Record<string, string>;
  timeoutSeconds?: number;
  /** Files under /state before boot (what an earlier boot left), by path relative to it. */
  files?: Record<string, string>;
}

export const BASE_SETTINGS: NodeSettings = {
  SLIPWAY_GITLAB_URL: "https://gitlab.example.com",
  SLIPWAY_REGION: "eu-west-1",
  SLIPWAY_PARAMETER_PATH: "/slipway/test/nodes",
  SLIPWAY_LIFETIME_SECONDS: 60,
  SLIPWAY_WAIT_TIMEOUT: 600,
  SLIPWAY_PARAMETER_ATTEMPTS: 2,
  SLIPWAY_RETRY_SECONDS: 0,
  SLIPWAY_ENGINE_WAIT_SECONDS: 3,
  SLIPWAY_WARM_DIR: "/state/warm",
  SLIPWAY_PER_BOOT_DIR: "/state/per-boot",
};

/** Boots one stand-in node with the rendered bootstrap as its only program (PID 1), network none. */
export async function runNode(c: NodeCase): Promise<NodeRun> {
  mkdirSync(c.dir, { recursive: true });
  writeFileSync(join(c.dir, "token"), c.token);
  for (const [path, content] of Object.entries(c.files ?? {})) {
    mkdirSync(join(c.dir, path, ".."), { recursive: true });
    writeFileSync(join(c.dir, path), content);
  }
  writeFileSync(join(c.dir, "bootstrap.sh"), renderBootstrap(readBootstrap(), { ...BASE_SETTINGS, ...c.settings }));
  const name = `slipway-node-${Date.now()}-${Math.random().toString(16).slice(2, 8)}`;
  const env = Object.entries(c.sim ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  const started = Date.now();
  const res = await run("timeout", [
    String(c.timeoutSeconds ?? 30), DOCKER, "-H", `unix://${c.socket}`, "run", "--name", name, "--network", "none",
    "-v", `${c.dir}:/state`, ...env, c.image, "/bin/sh", "/state/bootstrap.sh",
  ]);
  await run(DOCKER, ["-H", `unix://${c.socket}`, "rm", "-f", name]);
  const read = (f: string) => (existsSync(join(c.dir, f)) ? readFileSync(join(c.dir, f), "utf8") : "");
  return {
    ...res,
    calls: read("calls").split("\n").filter(Boolean),
    poweroffs: read("poweroff").split("\n").filter(Boolean).length,
    runnerArgs: read("runner-args").split("\n").filter(Boolean),
    seconds: (Date.now() - started) / 1000,
    dir: c.dir,
  };
}
