import { Readable } from "node:stream";
import { extract } from "tar-stream";

/** The content of the first regular file in a tar (what the engine's archive API returns for one path). */
export async function extractFile(tar: Buffer | Readable): Promise<Buffer | undefined> {
  const reader = extract();
  let found: Buffer | undefined;
  const done = new Promise<void>((resolve, reject) => {
    reader.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        if (found === undefined && header.type === "file") found = Buffer.concat(chunks);
        next();
      });
    });
    reader.on("finish", resolve);
    reader.on("error", reject);
  });
  (Buffer.isBuffer(tar) ? Readable.from([tar]) : tar).pipe(reader);
  await done;
  return found;
}
