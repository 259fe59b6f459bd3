/**
 * A command stage's layer made in Node from the container's changed files (overlay2's
 * upper directory), instead of `docker commit` then `docker push`: one pass that tars,
 * hashes and compresses (gzip level 1 on every core, incompressible pieces stored: see
 * ../../util/parallel-gzip.ts; the engine's push uses level 6, serially), so
 * the blob is ready for slipway's own registry client. The upper directory is overlay's
 * format; the layer is the image format: a whiteout (character device 0/0) becomes
 * `.wh.<name>`, an opaque directory (xattr trusted.overlay.opaque=y) gets
 * `.wh..wh..opq`, as the engine's own diff does. What this cannot represent exactly
 * (renamed directories, metadata-only copy-ups, file capabilities) makes it give up, and
 * the engine commits as before.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { PassThrough, Transform, Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { extract, pack, type Header, type Pack } from "tar-stream";
import { MAX_COMPRESSED_IN_MEMORY, type Layer } from "../layer.ts";
import { parallelGzip } from "../../util/parallel-gzip.ts";
import { indexEntries, type LayerIndex } from "../layer-index.ts";

/** A layer taken from a container: the tar (kept only when asked) and its gzip blob. */
export interface TakenLayer {
  /** undefined: the run changed no file (no layer, as the engine's commit drops empty ones). */
  layer?: Layer;
  gz?: { digest: string; data: Uint8Array; size: number };
  /**
   * The upload streaming the blob to the registry while it was compressed, still under
   * way: resolves to true once the registry has it, false when the stream failed (the
   * blob's bytes are then pushed whole). Never rejects.
   */
  uploading?: Promise<boolean>;
  /** Its paths (see ../layer-index.ts), for the stage manifest's annotation. */
  index?: LayerIndex;
}

/** Sends a blob to the registry as it is made; `digest` answers its digest once the chunks have ended. Resolves to the digest taken. */
export type StreamUpload = (chunks: AsyncIterable<Uint8Array>, digest: () => string) => Promise<{ digest: string }>;

/**
 * The blob's chunks, handed to `upload` as they are compressed. The chunks are kept in
 * memory anyway (for a push of whole bytes should the stream fail), so the upload reads
 * the same buffers at its own pace and never holds compression back.
 */
function feedUpload(upload: StreamUpload, digest: () => string) {
  // Unbounded on purpose: it holds references to chunks kept anyway, never copies.
  const feed = new PassThrough({ highWaterMark: Number.MAX_SAFE_INTEGER });
  // Its failure is the upload's (reported through `done`), never the process's.
  feed.on("error", () => undefined);
  const done = upload(feed, digest).then((r) => r, () => undefined);
  return {
    // An upload that gave up (or was abandoned) has destroyed the feed: nothing more to send.
    push: (chunk: Uint8Array) => void (feed.destroyed || feed.write(chunk)),
    /** Resolves to the digest the registry took, or undefined when the stream failed (or was abandoned). */
    end(): Promise<{ digest: string } | undefined> {
      if (!feed.destroyed) feed.end();
      return done;
    },
    /** Failing the body aborts the request: the registry keeps nothing of it. */
    abandon: () => void feed.destroy(new Error("the layer is not uploaded this way")),
  };
}

const XATTR = "SCHILY.xattr.";
/** Overlay's own bookkeeping: meaningless in a layer. */
const OVERLAY_BOOKKEEPING = new Set(["trusted.overlay.origin", "trusted.overlay.impure", "trusted.overlay.uuid", "trusted.overlay.nlink", "trusted.overlay.opaque", "security.selinux"]);

class CannotTake extends Error {}

function cleanName(name: string): string {
  return name.replace(/^\.\//, "").replace(/^\/+/, "");
}

/** The image-format entries for one upper-directory entry; throws CannotTake for what it cannot represent. */
export function convertEntry(h: Header): Header[] {
  const pax = (h.pax ?? {}) as Record<string, string>;
  const xattrs = Object.keys(pax).filter((k) => k.startsWith(XATTR)).map((k) => k.slice(XATTR.length));
  const unknown = xattrs.find((x) => !OVERLAY_BOOKKEEPING.has(x));
  if (unknown) throw new CannotTake(`${h.name}: extended attribute ${unknown}`);
  const name = cleanName(h.name);
  const base = { name, type: h.type, mode: h.mode, uid: h.uid, gid: h.gid, uname: "", gname: "", mtime: h.mtime, size: 0 } as Header;
  if (h.type === "character-device" && h.devmajor === 0 && h.devminor === 0) {
    const dir = posix.dirname(name.replace(/\/$/, ""));
    return [{ ...base, name: posix.join(dir, `.wh.${posix.basename(name)}`), type: "file", mode: 0o600 }];
  }
  if (h.type === "directory") {
    const out: Header[] = [{ ...base, name: `${name.replace(/\/$/, "")}/` }];
    if (pax[`${XATTR}trusted.overlay.opaque`] === "y") out.push({ ...base, name: `${name.replace(/\/$/, "")}/.wh..wh..opq`, type: "file", mode: (h.mode ?? 0) & 0o777 });
    return out;
  }
  if (h.type === "file" || h.type === "contiguous-file") return [{ ...base, type: "file", size: h.size }];
  if (h.type === "symlink") return [{ ...base, linkname: h.linkname }];
  if (h.type === "link") return [{ ...base, linkname: cleanName(h.linkname ?? "") }];
  if (h.type === "character-device" || h.type === "block-device") return [{ ...base, devmajor: h.devmajor, devminor: h.devminor }];
  if (h.type === "fifo") return [base];
  throw new CannotTake(`${h.name}: entry of type ${h.type}`);
}

async function convert(upper: string, out: Pack, seen: Header[]): Promise<boolean> {
  // GNU tar reads the directory (xattrs included) fast; entries are rewritten here.
  const tar = spawn("tar", ["--xattrs", "--xattrs-include=*", "--numeric-owner", "-C", upper, "-cf", "-", "."], { stdio: ["ignore", "pipe", "ignore"] });
  const exited = new Promise<number>((resolve, reject) => tar.on("error", reject).on("close", (code) => resolve(code ?? 1)));
  const ex = extract();
  let entries = 0;
  ex.on("entry", (h, stream, next) => {
    let headers: Header[];
    try {
      headers = cleanName(h.name) === "" ? [] : convertEntry(h);
    } catch (err) {
      stream.resume();
      return ex.destroy(err as Error);
    }
    entries += headers.length;
    seen.push(...headers);
    const content = headers.length === 1 && headers[0].type === "file" && (headers[0].size ?? 0) > 0;
    if (!content) {
      for (const header of headers) out.entry(header, Buffer.alloc(0));
      return stream.resume().on("end", next);
    }
    pipeline(stream, out.entry(headers[0]) as unknown as Writable).then(() => next(), (err: Error) => ex.destroy(err));
  });
  await pipeline(tar.stdout as Readable, ex);
  if ((await exited) !== 0) throw new CannotTake(`tar of ${upper} failed`);
  return entries > 0;
}

/**
 * The layer of the container whose upper directory is `upper`; undefined when this
 * cannot be done exactly, or the blob would exceed `maxCompressed` (then the engine
 * commits). `keep`: also keep the tar, to load into the engine. `upload`: stream the blob
 * to the registry while it is made (a failed stream is not an error: the blob's bytes are
 * returned for an ordinary push). It returns once the blob is made, the stream perhaps
 * still under way (`uploading`).
 */
export async function takeChanges(upper: string, keep: boolean, maxCompressed = MAX_COMPRESSED_IN_MEMORY, upload?: StreamUpload): Promise<TakenLayer | undefined> {
  const dir = await mkdtemp(join(tmpdir(), "slipway-changes-"));
  const file = join(dir, "layer.tar");
  const dispose = () => rm(dir, { recursive: true, force: true });
  let feed: ReturnType<typeof feedUpload> | undefined;
  try {
    const archive = pack();
    const tarHash = createHash("sha256");
    const gzHash = createHash("sha256");
    let size = 0;
    let gzSize = 0;
    const chunks: Buffer[] = [];
    // The feed ends only after the pipeline has, when the hash has seen every chunk.
    let gzDigest: string | undefined;
    feed = upload && feedUpload(upload, () => (gzDigest ??= `sha256:${gzHash.digest("hex")}`));
    const fileOut = keep ? createWriteStream(file) : undefined;
    // A write error (a full disk) fails the pipeline through the write's callback, and is the error reported.
    let fileError: Error | undefined;
    fileOut?.on("error", (err) => (fileError ??= err));
    const hashing = new Transform({
      transform(chunk: Buffer, _e, done) {
        tarHash.update(chunk);
        size += chunk.length;
        if (fileOut) fileOut.write(chunk, (err) => (err && (fileError ??= err), done(err, chunk)));
        else done(null, chunk);
      },
    });
    const collect = new Writable({
      write(chunk: Buffer, _e, done) {
        gzHash.update(chunk);
        gzSize += chunk.length;
        if (gzSize <= maxCompressed) {
          chunks.push(chunk);
          feed?.push(chunk);
        } else feed?.abandon();
        done();
      },
    });
    const writing = pipeline(archive, hashing, parallelGzip({ level: 1 }), collect);
    const seen: Header[] = [];
    const converting = convert(upper, archive, seen).then(
      (any) => (archive.finalize(), any),
      (err: Error) => (archive.destroy(err), Promise.reject(err)),
    );
    const [converted, written] = await Promise.allSettled([converting, writing]);
    if (fileOut) {
      await new Promise<void>((resolve, reject) => {
        if (fileOut.destroyed) return reject(fileError ?? new Error(`the layer's temporary file ${file} was closed`));
        fileOut.end((err?: Error | null) => (err ? reject(fileError ?? err) : resolve()));
      });
    }
    if (converted.status === "rejected" || written.status === "rejected" || gzSize > maxCompressed || !converted.value) {
      feed?.abandon();
      await feed?.end();
    }
    if (converted.status === "rejected") throw converted.reason;
    if (written.status === "rejected") throw written.reason;
    if (gzSize > maxCompressed) return (await dispose(), undefined);
    if (!converted.value) return (await dispose(), {});
    const layer: Layer = { diffId: `sha256:${tarHash.digest("hex")}`, size, open: () => createReadStream(file), dispose };
    if (!keep) await dispose();
    const digest = (gzDigest ??= `sha256:${gzHash.digest("hex")}`);
    // One buffer only if something reads it (a push of whole bytes): an upload that
    // streamed needs only the size, and copying tens of megabytes is not free.
    let data: Buffer | undefined;
    const gz = { digest, size: gzSize, get data() { return (data ??= Buffer.concat(chunks, gzSize)); } };
    // The stream is not waited for: the stage's manifest is written once it is in (./store.ts).
    const uploading = feed?.end().then((streamed) => streamed?.digest === digest);
    return { layer, gz, uploading, index: indexEntries(seen) };
  } catch (err) {
    // The upload never outlives the layer it was for.
    feed?.abandon();
    await feed?.end();
    await dispose();
    if (err instanceof CannotTake) return undefined;
    throw err;
  }
}
