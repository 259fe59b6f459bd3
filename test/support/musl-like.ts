import { readFileSync, readlinkSync } from "node:fs";
import type { LayerEntry } from "../../src/build/layer.ts";
import type { Engine } from "../../src/engine/types.ts";
import { busyboxEntries, pushRootfsImage } from "./base-image.ts";

/** Debian's `musl` package (scripts/setup.sh installs it): the loader, which is musl's libc, and its path file. */
const MUSL_LIBC = "/lib/x86_64-linux-musl/libc.so";
const MUSL_LOADER = "/lib/ld-musl-x86_64.so.1";

/**
 * A root filesystem like Alpine's, with no glibc at all: static busybox, musl's libc and
 * dynamic loader at Alpine's paths (/lib/ld-musl-x86_64.so.1, /lib/libc.musl-x86_64.so.1),
 * Alpine's os-release. No Docker Hub here: made from the host's busybox-static and musl packages.
 */
export function muslLikeEntries(): LayerEntry[] {
  const libc = readFileSync(MUSL_LIBC);
  const file = (path: string, content: Buffer | string, mode = 0o644): LayerEntry => ({ type: "file", path, mode, uid: 0, gid: 0, content: Buffer.from(content) });
  // Debian's loader is a symlink to the libc (as on Alpine, where libc.musl is one to the loader).
  if (!readlinkSync(MUSL_LOADER).endsWith("libc.so")) throw new Error(`${MUSL_LOADER} is not musl's libc`);
  return busyboxEntries([
    { type: "directory", path: "/lib", mode: 0o755, uid: 0, gid: 0 },
    file(MUSL_LOADER, libc, 0o755),
    { type: "symlink", path: "/lib/libc.musl-x86_64.so.1", uid: 0, gid: 0, target: "ld-musl-x86_64.so.1" },
    { type: "directory", path: "/etc", mode: 0o755, uid: 0, gid: 0 },
    file("/etc/ld-musl-x86_64.path", "/lib\n/usr/local/lib\n/usr/lib\n"),
    file("/etc/os-release", 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.0\nPRETTY_NAME="Alpine Linux v3.20 (musl-like, for tests)"\n'),
  ]);
}

/** Loads the musl-like image into `engine` as `ref` and pushes it. */
export async function pushMuslLike(engine: Engine, ref: string): Promise<void> {
  await pushRootfsImage(engine, ref, muslLikeEntries(), { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] });
}
