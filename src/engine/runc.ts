/**
 * Runs a created Docker container's process with runc directly, on the container's own
 * overlay2 layers, instead of asking dockerd to start it.
 *
 * Why: on this kind of machine dockerd's start and wait of a container costs 0.2-0.3 s
 * (containerd, its shim, runc, the attach streams), while runc alone takes 0.02-0.03 s.
 * BuildKit runs its steps with its own runc executor for the same reason.
 *
 * How, so that nothing else changes: dockerd still creates the container (its config,
 * its init layer, its empty writable layer) and still commits or removes it. Only the
 * start is ours: the container's layers are mounted with overlayfs exactly as dockerd
 * mounts them (same lower list, same upper and work directories), in a private mount
 * namespace that dies with the run (a killed job leaves no mount behind), and runc runs
 * the container's process there with dockerd's defaults (namespaces, capabilities,
 * masked paths, /dev, /proc, /sys, /etc/hosts). What the run wrote is in the
 * container's upper directory, where dockerd's commit and slipway's takeChanges read it.
 *
 * Only containers without a network (network mode none) run this way: a build's network
 * is the engine's bridge, which only dockerd sets up. Anything this module cannot
 * reproduce exactly (a user not in the image's passwd, a missing program, a bind source
 * that does not exist, no runc, no overlay mount) answers `undefined` before anything ran,
 * and dockerd starts the container as before, with its own errors.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { access, chmod, chown, constants as fsConstants, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, utimes, writeFile } from "node:fs/promises";
import { constants, tmpdir } from "node:os";
import { basename, dirname, join, posix } from "node:path";
import { findOnPath } from "../util/process.ts";
import { overlayDirs } from "./stubs.ts";

/** What runc needs of `docker container inspect`. */
export interface ContainerInfo {
  Id: string;
  Path: string;
  Args: string[];
  Config: { Hostname?: string; User?: string; Env?: string[] | null; WorkingDir?: string };
  HostConfig?: { NetworkMode?: string };
  /** What dockerd would mount: the binds, and a volume for each of the image's VOLUMEs. */
  Mounts?: { Type?: string; Destination?: string }[] | null;
  GraphDriver?: { Name?: string; Data?: Record<string, string> | null };
}

export interface RuncBind {
  source: string;
  target: string;
  readOnly?: boolean;
}

export interface RuncRun {
  info: ContainerInfo;
  binds: RuncBind[];
  onOutput?: (chunk: Buffer) => void;
  runc?: string;
  /** runc's state directory (--root). */
  stateRoot?: string;
  /** Layer directories (top first) mounted between the container's own layers and its image's (RunSpec.stacked). */
  stacked?: string[];
  /**
   * The process's working directory when the container was created without one (a run on
   * stacked layers: dockerd would have made a missing WORKDIR in the container's own layer,
   * over the stacked one); it must exist, else dockerd starts the run.
   */
  workingDir?: string;
}

const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** dockerd's default capabilities (oci/caps/defaults.go). */
const CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"].map((c) => `CAP_${c}`);

const MASKED = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"];
const READ_ONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/**
 * dockerd's default seccomp profile, as the denials that matter to a build container:
 * the system calls it allows only with capabilities a build never gets (modules, clocks,
 * mounts, namespaces, keyrings, BPF, perf, reboot, swap), and new namespaces through
 * clone (so no user namespace either, where those capabilities would be had); clone3 is
 * ENOSYS, as in dockerd, so that the C library falls back to clone.
 */
const DENIED_SYSCALLS = [
  "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "settimeofday", "create_module", "delete_module", "finit_module", "init_module",
  "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "open_tree", "move_mount", "get_kernel_syms", "kexec_file_load", "kexec_load",
  "keyctl", "request_key", "lookup_dcookie", "mount", "umount2", "name_to_handle_at", "open_by_handle_at", "nfsservctl", "perf_event_open",
  "pivot_root", "query_module", "quotactl", "reboot", "setns", "swapon", "swapoff", "sysfs", "_sysctl", "syslog", "unshare", "uselib",
  "userfaultfd", "ustat", "vm86", "vm86old", "iopl", "ioperm",
];
const CLONE_NAMESPACES = [0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000];

function seccomp(): object {
  const EPERM = 1;
  const ENOSYS = 38;
  return {
    defaultAction: "SCMP_ACT_ALLOW",
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
    syscalls: [
      { names: DENIED_SYSCALLS, action: "SCMP_ACT_ERRNO", errnoRet: EPERM },
      ...CLONE_NAMESPACES.map((flag) => ({ names: ["clone"], action: "SCMP_ACT_ERRNO", errnoRet: EPERM, args: [{ index: 0, value: flag, valueTwo: flag, op: "SCMP_CMP_MASKED_EQ" }] })),
      { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS },
    ],
  };
}

const HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";

/**
 * A layered root: the container's layer directories, top first. Paths are looked up
 * the way overlayfs merges them (the first layer holding a name wins; a whiteout hides
 * it), with symlinks followed inside the root, never out of it.
 */
export class LayeredRoot {
  constructor(readonly layers: string[]) {}

  /** The host path of `path`'s final entry in the merged view, symlinks resolved; undefined when absent. */
  async resolve(path: string, hops = 0): Promise<string | undefined> {
    if (hops > 40) return undefined;
    const parts = posix.normalize(`/${path}`).split("/").filter(Boolean);
    let at = "/";
    for (let i = 0; i < parts.length; i++) {
      const next = posix.join(at, parts[i]);
      const found = await this.#entry(next);
      if (!found) return undefined;
      if (found.link !== undefined) {
        const target = found.link.startsWith("/") ? found.link : posix.join(at, found.link);
        return this.resolve(posix.join(target, ...parts.slice(i + 1)), hops + 1);
      }
      if (i === parts.length - 1) return found.host;
      at = next;
    }
    return this.layers[0];
  }

  async read(path: string): Promise<string | undefined> {
    const host = await this.resolve(path);
    return host === undefined ? undefined : readFile(host, "utf8").catch(() => undefined);
  }

  async #entry(path: string): Promise<{ host: string; link?: string } | undefined> {
    for (const layer of this.layers) {
      const host = join(layer, path);
      const info = await lstat(host).catch(() => undefined);
      if (!info) continue;
      // An overlay whiteout (a 0/0 character device) hides the name in the layers below.
      if (info.isCharacterDevice() && info.rdev === 0) return undefined;
      return info.isSymbolicLink() ? { host, link: await readlink(host) } : { host };
    }
    return undefined;
  }
}

export interface ExecUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

function entries(file: string | undefined): string[][] {
  return (file ?? "").split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#")).map((l) => l.split(":"));
}

const numeric = (s: string) => /^\d+$/.test(s);

/**
 * The user a container runs as, from its `User` ("name", "uid", "name:group", "uid:gid")
 * and the image's /etc/passwd and /etc/group, as dockerd resolves it (runc's
 * libcontainer/user.GetExecUser): undefined when a name is not found (dockerd then
 * fails the start with its own message).
 */
export function execUser(spec: string, passwd: string | undefined, group: string | undefined): ExecUser | undefined {
  const [userArg, groupArg = ""] = spec.split(":", 2);
  const users = entries(passwd).filter((u) => u.length >= 4);
  const match = users.find((u) => (userArg === "" ? u[2] === "0" : u[0] === userArg || (numeric(userArg) && u[2] === userArg)));
  let uid = 0;
  let gid = 0;
  let name = "";
  if (match) {
    uid = Number(match[2]);
    gid = Number(match[3]);
    name = match[0];
  } else if (userArg !== "") {
    if (!numeric(userArg)) return undefined;
    uid = Number(userArg);
  }
  const groups = entries(group).filter((g) => g.length >= 3);
  let additionalGids: number[] = [];
  if (groupArg !== "") {
    const g = groups.find((g) => (numeric(groupArg) ? g[2] === groupArg || g[0] === groupArg : g[0] === groupArg));
    if (g) gid = Number(g[2]);
    else if (numeric(groupArg)) gid = Number(groupArg);
    else return undefined;
  } else if (name !== "") {
    additionalGids = groups.filter((g) => (g[3] ?? "").split(",").includes(name)).map((g) => Number(g[2]));
  }
  // dockerd lists the primary group first among the supplementary ones (daemon/oci_linux.go getUser).
  return { uid, gid, additionalGids: [gid, ...additionalGids] };
}

/** dockerd's environment: PATH and HOSTNAME first, replaced or extended by the container's own. */
export function containerEnv(hostname: string, env: string[]): string[] {
  const out = [DEFAULT_PATH, `HOSTNAME=${hostname}`];
  for (const entry of env) {
    const key = entry.split("=", 1)[0];
    const at = out.findIndex((e) => e.split("=", 1)[0] === key);
    if (at >= 0) out[at] = entry;
    else out.push(entry);
  }
  return out;
}

let usable: Promise<boolean> | undefined;

const onPath = (name: string) => (name.includes("/") ? access(name, fsConstants.X_OK).then(() => name, () => undefined) : findOnPath(name, process.env.PATH));

/** Whether this process is root and has runc and unshare (asked once, from the file system alone: nothing is spawned). */
export function runcUsable(runc = "runc"): Promise<boolean> {
  usable ??= (async () => process.getuid?.() === 0 && (await onPath(runc)) !== undefined && (await onPath("unshare")) !== undefined)();
  return usable;
}

/** The OCI runtime spec of the container's process: dockerd's defaults, no network. */
function ociSpec(info: ContainerInfo, user: ExecUser, bundle: string, binds: RuncBind[], cwd: string): object {
  const hostname = info.Config.Hostname ?? info.Id.slice(0, 12);
  const caps = { bounding: CAPABILITIES, effective: CAPABILITIES, permitted: CAPABILITIES };
  const bind = (source: string, destination: string, readOnly = false) => ({ destination, type: "bind", source, options: ["rbind", "rprivate", readOnly ? "ro" : "rw"] });
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user,
      args: [info.Path, ...info.Args],
      env: containerEnv(hostname, info.Config.Env ?? []),
      cwd,
      capabilities: caps,
      noNewPrivileges: false,
    },
    root: { path: join(bundle, "rootfs"), readonly: false },
    hostname,
    mounts: [
      { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
      { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro", "nosuid", "noexec", "nodev"] },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"] },
      // dockerd sorts its mounts by depth (daemon/volumes.go sortMounts), so a bind inside another one's target is
      // mounted after it and stays visible, whatever the order of the spec's binds.
      ...[
        bind(join(bundle, "resolv.conf"), "/etc/resolv.conf"),
        bind(join(bundle, "hostname"), "/etc/hostname"),
        bind(join(bundle, "hosts"), "/etc/hosts"),
        ...binds.map((b) => bind(b.source, b.target, b.readOnly)),
      ].map((m, i) => ({ m, i, depth: posix.normalize(m.destination).split("/").length }))
        .sort((a, b) => a.depth - b.depth || a.i - b.i)
        .map(({ m }) => m),
    ],
    linux: {
      namespaces: ["pid", "ipc", "uts", "mount", "network", "cgroup"].map((type) => ({ type })),
      maskedPaths: MASKED,
      readonlyPaths: READ_ONLY,
      seccomp: seccomp(),
      // Devices as dockerd allows them: none but runc's defaults (null, zero, full, random, urandom, tty, pts).
      resources: { devices: [{ allow: false, access: "rwm" }] },
    },
  };
}

/**
 * dockerd made the container's init layer (/etc for hosts and resolv.conf, /dev, /proc,
 * /sys) over the image below the stacked layers, so its directories carry that image's
 * owner, mode and times, or fresh ones on the empty image. Over the stage's own image
 * they would carry the stage's: the topmost stacked layer's, where one has the directory.
 * (A run that writes into /etc copies that directory up with these attributes.)
 */
async function initAttrsFrom(init: string, stacked: string[]): Promise<void> {
  for (const name of await readdir(init).catch(() => [] as string[])) {
    const here = join(init, name);
    if (!(await lstat(here).catch(() => undefined))?.isDirectory()) continue;
    for (const dir of stacked) {
      const from = await lstat(join(dir, name)).catch(() => undefined);
      if (!from) continue;
      if (from.isDirectory()) {
        await chown(here, from.uid, from.gid);
        await chmod(here, from.mode & 0o7777);
        await utimes(here, from.atime, from.mtime);
      }
      break;
    }
  }
}

/**
 * Runs the created container `info` with runc: its exit code, or undefined when it cannot
 * be run exactly as dockerd would (nothing ran then; dockerd should start it).
 */
export async function runWithRunc(run: RuncRun): Promise<number | undefined> {
  const { info } = run;
  const runc = run.runc ?? "runc";
  const dirs = info.GraphDriver?.Name === "overlay2" ? overlayDirs(info.GraphDriver) : undefined;
  if (!dirs || info.HostConfig?.NetworkMode !== "none") return undefined;
  if (!(await runcUsable(runc))) return undefined;
  // Only the spec's binds are mounted here: an image VOLUME (or any other mount dockerd made for the container) is dockerd's.
  const targets = new Set(run.binds.map((b) => posix.normalize(b.target)));
  if ((info.Mounts ?? []).some((m) => m.Type !== "bind" || !targets.has(posix.normalize(m.Destination ?? "")))) return undefined;
  const layerDir = dirname(dirs.upper);
  const overlayRoot = dirname(layerDir);
  const links = (await readFile(join(layerDir, "lower"), "utf8").catch(() => "")).trim();
  if (!links) return undefined;
  // Stacked layers go under the container's init layer (its first lower), over the image's.
  const stacked = run.stacked ?? [];
  const [init, ...below] = links.split(":");
  const lower = [init, ...stacked, ...below].join(":");
  if (stacked.length > 0 && dirs.lowers[0]) await initAttrsFrom(dirs.lowers[0], stacked);
  const root = new LayeredRoot([dirs.upper, ...dirs.lowers.slice(0, 1), ...stacked, ...dirs.lowers.slice(1)]);
  const user = execUser(info.Config.User ?? "", await root.read("/etc/passwd"), await root.read("/etc/group"));
  if (!user) return undefined;
  if (info.Path.startsWith("/") && !(await root.resolve(info.Path))) return undefined;
  if (run.workingDir && !(await root.resolve(run.workingDir))) return undefined;
  for (const b of run.binds) if (!(await access(b.source).then(() => true, () => false))) return undefined;

  const bundle = await mkdtemp(join(tmpdir(), "slipway-runc-"));
  try {
    await mkdir(join(bundle, "rootfs"));
    const resolv = await readFile("/etc/resolv.conf", "utf8").catch(() => "");
    const hostname = info.Config.Hostname ?? info.Id.slice(0, 12);
    // 0644 whatever this process's umask: a RUN as another user reads them, as dockerd's.
    const visible = (name: string, content: string) => writeFile(join(bundle, name), content).then(() => chmod(join(bundle, name), 0o644));
    await Promise.all([
      visible("resolv.conf", resolv),
      visible("hostname", `${hostname}\n`),
      visible("hosts", HOSTS),
      writeFile(join(bundle, "config.json"), JSON.stringify(ociSpec(info, user, bundle, run.binds, run.workingDir || info.Config.WorkingDir || "/"))),
    ]);
    // As dockerd's overlay2 mounts it: short lower links relative to the overlay2 root, index off when the kernel has it.
    const indexOff = await access("/sys/module/overlay/parameters/index").then(() => "index=off,", () => "");
    const id = basename(layerDir);
    const options = `${indexOff}lowerdir=${lower},upperdir=${id}/diff,workdir=${id}/work`;
    const name = `slipway-${info.Id.slice(0, 12)}-${randomBytes(3).toString("hex")}`;
    const stateRoot = run.stateRoot ?? "/run/slipway/runc";
    // The mount lives in the run's own mount namespace: gone when runc exits, even if this process is killed.
    // runc copies the container's stdout and stderr (two pipes, as dockerd's) to its own, both to one pipe here.
    // A stopped job (SIGTERM to its process group) kills the container too: runc would only pass the signal
    // on to the container's first process, which ignores it, as a namespace's init does.
    // dockerd runs with umask 0022 (and so its runc): the mount points runc makes in the layer get 0755 whatever ours is.
    const script = [
      // The stop handlers are in place before runc starts: a stop that comes as the container starts still kills it.
      'trap \'trapped=1; : >"$2/stopped"; "$3" --root "$4" kill "$5" KILL 2>/dev/null\' TERM INT HUP',
      'mount -t overlay overlay -o "$1" "$2/rootfs" 2>"$2/mount.err" && : >"$2/mounted" || exit 1',
      "umask 022",
      // This process's end (even by SIGKILL) closes the pipe on stdin: the container is killed with it.
      'exec 3<&0; { read -r _ <&3; "$3" --root "$4" kill "$5" KILL; } >/dev/null 2>&1 & watch=$!',
      // Stopped before the container was made: it is never started.
      '[ -e "$2/stopped" ] && exit 143',
      '"$3" --root "$4" run --pid-file "$2/pid" --bundle "$2" "$5" 3<&- 2>&1 & pid=$!',
      // A trapped signal ends `wait` early (128 + its number) and the trap's `runc kill` may reap runc meanwhile, so
      // `kill -0` cannot tell whether it still runs: after a trap, wait again for runc's own status (127: none left).
      'trapped=; wait $pid; code=$?',
      'while [ -n "$trapped" ]; do trapped=; wait $pid; c=$?; [ $c -ne 127 ] && code=$c; done',
      'kill $watch 2>/dev/null; exit $code',
    ].join("\n");
    const child = spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", script, "sh", options, bundle, runc, stateRoot, name], { cwd: overlayRoot, stdio: ["pipe", "pipe", "ignore"] });
    child.stdin.on("error", () => undefined);
    // runc writes the pid file once the container's process is exec'd. Until then, what comes out can only be
    // runc's own error (a program not found or not executable, a mount or a working directory it cannot make):
    // held back, so that a container runc could not start goes to dockerd, which fails its start as it does.
    const pidFile = join(bundle, "pid");
    let started = false;
    let held: Buffer[] = [];
    const release = () => {
      if (started || !existsSync(pidFile)) return;
      started = true;
      for (const c of held) run.onOutput?.(c);
      held = [];
    };
    const poll = setInterval(release, 20);
    child.stdout.on("data", (c: Buffer) => {
      release();
      if (started) run.onOutput?.(c);
      else held.push(c);
    });
    const code = await new Promise<number>((resolve) => {
      // Not started at all (no unshare after all): nothing ran, as when the mount fails.
      child.on("error", () => resolve(-1));
      child.on("close", (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
    }).finally(() => clearInterval(poll));
    release();
    if (code !== 0 && !(await access(join(bundle, "mounted")).then(() => true, () => false))) {
      // Not mounted: nothing ran. Remember it, so later runs go straight to dockerd (not
      // when stacked layers were mounted too: those alone may be what the kernel refused).
      if (!run.stacked?.length) usable = Promise.resolve(false);
      return undefined;
    }
    if (code !== 0) await new Promise((resolve) => spawn(runc, ["--root", stateRoot, "delete", "--force", name], { stdio: "ignore" }).on("error", resolve).on("close", resolve));
    // runc failed before the process ran (and the job was not stopped): dockerd starts it, with its own error.
    if (code !== 0 && !started && !existsSync(join(bundle, "stopped"))) return undefined;
    for (const c of held) run.onOutput?.(c);
    return code;
  } finally {
    await rm(bundle, { recursive: true, force: true });
  }
}
