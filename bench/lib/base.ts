import { createCipheriv, createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { buildLayer, type LayerEntry } from "../../src/build/layer.ts";
import { DockerEngine } from "../../src/engine/docker.ts";

/**
 * Deterministic incompressible bytes: an AES-256-CTR keystream keyed by the seed.
 * Random content keeps gzip from shrinking the base, so moving it costs what a real
 * 100 MB base costs; the fixed seed gives the same base digest on every run.
 */
export function seededBytes(seed: string, size: number): Buffer {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

/** A busybox root filesystem plus `padding` bytes of seeded random content in /opt/base/blob.bin. */
function baseEntries(padding: number): LayerEntry[] {
  const busybox = "/bin/busybox";
  const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter((a) => a && a !== "busybox");
  const root = { uid: 0, gid: 0 };
  return [
    { type: "file", path: busybox, mode: 0o755, ...root, content: readFileSync(busybox) },
    ...applets.map((a): LayerEntry => ({ type: "symlink", path: `/bin/${a}`, ...root, target: "busybox" })),
    { type: "file", path: "/etc/passwd", mode: 0o644, ...root, content: Buffer.from("root:x:0:0:root:/root:/bin/sh\n") },
    { type: "file", path: "/etc/group", mode: 0o644, ...root, content: Buffer.from("root:x:0:\n") },
    { type: "directory", path: "/tmp", mode: 0o1777, ...root },
    { type: "directory", path: "/root", mode: 0o700, ...root },
    { type: "file", path: "/opt/base/blob.bin", mode: 0o644, ...root, content: seededBytes("slipway-bench-base", padding) },
  ];
}

/** Makes the base image in the engine at `socketPath` and pushes it as `ref`; returns the manifest digest. */
export async function pushBase(socketPath: string, ref: string, padding: number): Promise<string> {
  const layer = await buildLayer(baseEntries(padding));
  const engine = new DockerEngine({ socketPath });
  await engine.loadImage(
    {
      architecture: "amd64",
      os: "linux",
      created: "1970-01-01T00:00:00Z",
      config: { Env: ["PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] },
      rootfs: { type: "layers", diff_ids: [layer.diffId] },
      // Real bases carry history; Docker's classic builder needs one entry per layer
      // to restore --cache-from images ("failed to get layer" otherwise).
      history: [{ created: "1970-01-01T00:00:00Z", created_by: "busybox root filesystem and 100 MB of base content" }],
    },
    [layer],
    [ref],
  );
  const { digest } = await engine.push(ref);
  if (!digest) throw new Error(`push of ${ref} reported no digest`);
  return digest;
}
