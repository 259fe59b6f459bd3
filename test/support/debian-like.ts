import { execFileSync } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import type { LayerEntry } from "../../src/build/layer.ts";
import { pushRootfsImage } from "./base-image.ts";
import type { Engine } from "../../src/engine/types.ts";

/** Host programs a Debian slim image has and the tests use: dash as /bin/sh, coreutils, shadow's tools. */
const PROGRAMS: Record<string, string> = {
  "/bin/sh": "/bin/dash",
  "/bin/cat": "/bin/cat",
  "/bin/ls": "/bin/ls",
  "/bin/mkdir": "/bin/mkdir",
  "/bin/echo": "/bin/echo",
  "/bin/chmod": "/bin/chmod",
  "/bin/false": "/bin/false",
  ...Object.fromEntries(["sleep", "rm", "mv", "cp", "ln", "touch", "id", "chown", "sed", "grep", "env", "uname"].map((p) => [`/bin/${p}`, `/bin/${p}`])),
  "/usr/sbin/useradd": "/usr/sbin/useradd",
  "/usr/sbin/groupadd": "/usr/sbin/groupadd",
  "/usr/sbin/usermod": "/usr/sbin/usermod",
};

function libraries(binary: string): string[] {
  const out = execFileSync("ldd", [binary], { encoding: "utf8" });
  return [...out.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]);
}

const file = (path: string, content: Buffer | string, mode = 0o644): LayerEntry => ({ type: "file", path, mode, uid: 0, gid: 0, content: Buffer.from(content) });

/**
 * A glibc root filesystem like debian:bookworm-slim's, made of the host's own binaries and
 * their libraries (no Docker Hub here), without Python: the account files, login.defs,
 * os-release and the shadow tools the user and group modules call.
 */
export function debianLikeEntries(): LayerEntry[] {
  const entries = new Map<string, LayerEntry>();
  for (const [path, host] of Object.entries(PROGRAMS)) {
    entries.set(path, file(path, readFileSync(host), 0o755));
    for (const lib of libraries(host)) entries.set(lib, file(lib, readFileSync(realpathSync(lib)), 0o755));
  }
  const dirs = ["/bin", "/usr", "/usr/sbin", "/lib", "/lib64", "/lib/x86_64-linux-gnu", "/etc", "/root", "/home", "/usr/lib", "/var", "/var/mail"];
  return [
    ...dirs.map((d): LayerEntry => ({ type: "directory", path: d, mode: 0o755, uid: 0, gid: 0 })),
    { type: "directory", path: "/tmp", mode: 0o1777, uid: 0, gid: 0 },
    ...entries.values(),
    file("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
    file("/etc/group", "root:x:0:\n"),
    file("/etc/shadow", "root:*:19000:0:99999:7:::\n", 0o640),
    file("/etc/gshadow", "root:*::\n", 0o640),
    file("/etc/login.defs", readFileSync("/etc/login.defs")),
    file("/etc/os-release", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'),
  ];
}

/** Loads the Debian-like image into `engine` as `ref` and pushes it. */
export async function pushDebianLike(engine: Engine, ref: string): Promise<void> {
  await pushRootfsImage(engine, ref, debianLikeEntries(), { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] });
}
