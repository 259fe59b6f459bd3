import { Readable } from "node:stream";
import { extract } from "tar-stream";

/** One entry of a tar read whole: its name (no trailing slash), kind, mode, owner, link target and bytes. */
export interface TarItem {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
  content: Buffer;
}

/** Every entry of a tar, contents in memory (the engine's archive API answer for a path, a layer in the memory engine). */
export async function readTar(archive: Buffer | Readable): Promise<TarItem[]> {
  const items: TarItem[] = [];
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        items.push({ name: header.name.replace(/\/+$/, ""), type: header.type ?? "file", mode: header.mode ?? 0o644, uid: header.uid ?? 0, gid: header.gid ?? 0, linkname: header.linkname ?? undefined, content: Buffer.concat(chunks) });
        next();
      });
      stream.resume();
    });
    reader.on("finish", resolve);
    reader.on("error", reject);
  });
  (Buffer.isBuffer(archive) ? Readable.from([archive]) : archive).pipe(reader);
  await done;
  return items;
}

/** The content of the first regular file in a tar (what the engine's archive API returns for one path). */
export async function extractFile(tar: Buffer | Readable): Promise<Buffer | undefined> {
  return (await readTar(tar)).find((item) => item.type === "file")?.content;
}
