import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { buildLayer, gzipLayer, type LayerEntry } from "../build/layer.ts";
import { appendLayer, type ImageManifest } from "../image/index.ts";
import type { ImageConfigDocument } from "../image/index.ts";
import { MEDIA_TYPES, type Registry } from "../registry/types.ts";

/** Debian's busybox-static: one static binary is a whole userland, and no internet is needed. */
export const BUSYBOX = "/bin/busybox";

/** A busybox root filesystem: the binary, one symlink per applet, /etc/passwd and group, /tmp. */
export async function busyboxEntries(busybox = BUSYBOX): Promise<LayerEntry[]> {
  const { stdout } = await promisify(execFile)(busybox, ["--list"], { encoding: "utf8" });
  const applets = stdout.split("\n").filter((a) => a && a !== "busybox");
  const file = (path: string, mode: number, content: Buffer): LayerEntry => ({ type: "file", path, mode, uid: 0, gid: 0, content });
  return [
    file("/bin/busybox", 0o755, await readFile(busybox)),
    ...applets.map((a): LayerEntry => ({ type: "symlink", path: `/bin/${a}`, uid: 0, gid: 0, target: "busybox" })),
    file("/etc/passwd", 0o644, Buffer.from("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n")),
    file("/etc/group", 0o644, Buffer.from("root:x:0:\napp:x:1000:\n")),
    { type: "directory", path: "/tmp", mode: 0o1777, uid: 0, gid: 0 },
    { type: "directory", path: "/root", mode: 0o700, uid: 0, gid: 0 },
  ];
}

/**
 * Publishes a busybox base image straight into a registry (blob, config, manifest), with
 * no Docker engine: the layer is a deterministic tar, so every run yields the same digest.
 * Returns the manifest digest.
 */
export async function publishBaseImage(registry: Registry, repo: string, tag: string, busybox = BUSYBOX): Promise<string> {
  const layer = await buildLayer(await busyboxEntries(busybox));
  const config: ImageConfigDocument = {
    architecture: "amd64",
    os: "linux",
    created: "1970-01-01T00:00:00Z",
    config: { Env: ["PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"], Cmd: ["sh"], Labels: { base: "busybox" } },
    rootfs: { type: "layers", diff_ids: [layer.diffId] },
  };
  const empty: ImageManifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest, config: { mediaType: MEDIA_TYPES.dockerConfig, digest: "", size: 0 }, layers: [] };
  const draft = appendLayer(empty, (await gzipLayer(layer, Infinity))!, config); // no limit: never undefined
  await layer.dispose();
  for (const blob of draft.newBlobs) await registry.pushBlob(repo, blob.digest, blob.data);
  return registry.putManifest(repo, tag, new TextEncoder().encode(JSON.stringify(draft.manifest)), draft.manifest.mediaType);
}
