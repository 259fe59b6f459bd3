/**
 * Change detection for a cache directory: one sha256 over every entry (path, type, mode,
 * owner, size and content hash, or a link's target), in sorted order. Times are left
 * out, so a run that only touches files saves nothing. `bytes` is the file content the
 * directory holds: what the size limit counts.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";

export interface Fingerprint {
  digest: string;
  bytes: number;
  entries: number;
}

async function fileHash(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The directory's fingerprint; a missing directory is the empty one. */
export async function fingerprint(dir: string): Promise<Fingerprint> {
  const hash = createHash("sha256").update("slipway-cache-v1\n");
  let bytes = 0;
  let entries = 0;
  const walk = async (rel: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(join(dir, rel))).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" && rel === "") return;
      throw err;
    }
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(dir, path);
      const st = await lstat(full);
      const head = `${JSON.stringify(path)} ${st.mode.toString(8)} ${st.uid}:${st.gid}`;
      entries++;
      if (st.isDirectory()) {
        hash.update(`d ${head}\n`);
        await walk(path);
      } else if (st.isSymbolicLink()) {
        hash.update(`l ${head} ${JSON.stringify(await readlink(full))}\n`);
      } else if (st.isFile()) {
        bytes += st.size;
        hash.update(`f ${head} ${st.size} ${await fileHash(full)}\n`);
      } else {
        // Sockets, fifos and devices are not kept (the archive leaves them out too).
        entries--;
      }
    }
  };
  await walk("");
  return { digest: `sha256:${hash.digest("hex")}`, bytes, entries };
}

/** The fingerprint of an empty directory: what a scope without a cache starts from. */
export const EMPTY_FINGERPRINT = "sha256:" + createHash("sha256").update("slipway-cache-v1\n").digest("hex");
