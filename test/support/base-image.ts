import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { buildLayer, type LayerEntry } from "../../src/build/layer.ts";
import type { Engine } from "../../src/engine/types.ts";

const BUSYBOX = "/bin/busybox";

/** A busybox root filesystem: the static binary, one symlink per applet, /etc/passwd and /tmp. */
export function busyboxEntries(extra: LayerEntry[] = []): LayerEntry[] {
  const applets = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  const entries: LayerEntry[] = [
    { type: "file", path: "/bin/busybox", mode: 0o755, uid: 0, gid: 0, content: readFileSync(BUSYBOX) },
    ...applets.filter((a) => a !== "busybox").map((a): LayerEntry => ({ type: "symlink", path: `/bin/${a}`, uid: 0, gid: 0, target: "busybox" })),
    { type: "file", path: "/etc/passwd", mode: 0o644, uid: 0, gid: 0, content: Buffer.from("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n") },
    { type: "file", path: "/etc/group", mode: 0o644, uid: 0, gid: 0, content: Buffer.from("root:x:0:\napp:x:1000:\n") },
    { type: "directory", path: "/tmp", mode: 0o1777, uid: 0, gid: 0 },
    { type: "directory", path: "/root", mode: 0o700, uid: 0, gid: 0 },
  ];
  return [...entries, ...extra];
}

/**
 * Makes a one-layer image of `entries` in `engine` (no Docker Hub here) and pushes it
 * to a registry as `ref`. Returns the pushed manifest digest.
 */
export async function pushRootfsImage(engine: Engine, ref: string, entries: LayerEntry[], config: { Env: string[]; Cmd: string[]; Labels?: Record<string, string> }): Promise<string> {
  const layer = await buildLayer(entries);
  await engine.loadImage(
    {
      architecture: "amd64",
      os: "linux",
      created: "1970-01-01T00:00:00Z",
      config,
      rootfs: { type: "layers", diff_ids: [layer.diffId] },
    },
    [layer],
    [ref],
  ).finally(() => layer.dispose());
  const { digest } = await engine.push(ref);
  if (!digest) throw new Error(`push of ${ref} reported no digest`);
  return digest;
}

/** The busybox base image (busyboxEntries plus `extra`), pushed as `ref`. Returns the pushed manifest digest. */
export function pushBaseImage(engine: Engine, ref: string, extra: LayerEntry[] = []): Promise<string> {
  return pushRootfsImage(engine, ref, busyboxEntries(extra), { Env: ["PATH=/usr/local/bin:/usr/bin:/bin"], Cmd: ["sh"], Labels: { base: "busybox" } });
}
