/**
 * Gzip for layer blobs, on every core: the input is cut into fixed-size pieces, each
 * compressed on libuv's thread pool as a gzip member of its own, and the members are
 * written in order (RFC 1952 section 2.2: a gzip file is a series of members; every
 * reader of image layers reads them all, as pigz's and estargz's blobs rely on).
 *
 * A piece whose sample does not compress is stored (deflate level 0) rather than
 * compressed for nothing: build output is often compressed already (archives,
 * binaries, media), and deflating it costs about 15 times a copy, on the build node
 * and again for every pull. The decision depends on the bytes alone, so the same
 * input always gives the same blob (and digest).
 */
import { availableParallelism } from "node:os";
import { Transform, type TransformCallback } from "node:stream";
import { promisify } from "node:util";
import { crc32, gzip as gzipCallback, type ZlibOptions } from "node:zlib";

const gzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gzipCallback);

/** Bytes of input per member. */
export const PIECE = 1 << 20;
/** Bytes sampled from each of three places of a piece to decide whether it compresses. */
const SAMPLE = 8 << 10;
/** Stored unless compressing the sample saves at least this fraction of it. */
const MIN_SAVING = 0.03;
/** A gzip member's header and trailer. */
const MEMBER_OVERHEAD = 18;

export interface ParallelGzipOptions {
  /** zlib level for pieces that compress (default 1: fast, as layers are written once and pulled often). */
  level?: number;
  /** Pieces compressed at once (default: the machine's cores). */
  parallel?: number;
  /** Bytes per member (default PIECE); tests use small ones. */
  piece?: number;
}

/** Whether a piece is worth compressing, judged on samples from its start, middle and end. */
async function compresses(piece: Buffer, level: number): Promise<boolean> {
  if (piece.length <= 3 * SAMPLE) {
    const out = await gzipAsync(piece, { level });
    return out.length - MEMBER_OVERHEAD <= piece.length * (1 - MIN_SAVING);
  }
  const middle = (piece.length - SAMPLE) >> 1;
  const sample = Buffer.concat([piece.subarray(0, SAMPLE), piece.subarray(middle, middle + SAMPLE), piece.subarray(piece.length - SAMPLE)]);
  const out = await gzipAsync(sample, { level });
  return out.length - MEMBER_OVERHEAD <= sample.length * (1 - MIN_SAVING);
}

/** The gzip header zlib writes at level 0 (no name, mtime 0, OS unix). */
const STORED_HEADER = Buffer.from("1f8b0800000000000403", "hex");
/** The most bytes one stored deflate block holds (RFC 1951 section 3.2.4). */
const STORED_BLOCK = 0xffff;

/**
 * A gzip member holding `piece` in stored deflate blocks, written here: a copy and a
 * CRC-32 (zlib's, vectorised), where zlib at level 0 costs several times that.
 */
export function storedMember(piece: Buffer): Buffer {
  const blocks = Math.max(1, Math.ceil(piece.length / STORED_BLOCK));
  const out = Buffer.allocUnsafe(STORED_HEADER.length + blocks * 5 + piece.length + 8);
  let at = STORED_HEADER.copy(out, 0);
  for (let i = 0; i < blocks; i++) {
    const start = i * STORED_BLOCK;
    const len = Math.min(STORED_BLOCK, piece.length - start);
    out[at] = i === blocks - 1 ? 1 : 0;
    out.writeUInt16LE(len, at + 1);
    out.writeUInt16LE(~len & 0xffff, at + 3);
    at += 5;
    at += piece.copy(out, at, start, start + len);
  }
  out.writeUInt32LE(crc32(piece), at);
  out.writeUInt32LE(piece.length >>> 0, at + 4);
  return out;
}

async function member(piece: Buffer, level: number): Promise<Buffer> {
  return (await compresses(piece, level)) ? gzipAsync(piece, { level }) : storedMember(piece);
}

/** A Transform from bytes to a multi-member gzip of them, compressing pieces in parallel, in order. */
export function parallelGzip(opts: ParallelGzipOptions = {}): Transform {
  const level = opts.level ?? 1;
  const parallel = Math.max(1, opts.parallel ?? availableParallelism());
  const size = opts.piece ?? PIECE;
  const queue: Promise<Buffer>[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let wroteAny = false;

  const start = (piece: Buffer) => {
    const job = member(piece, level);
    job.catch(() => undefined);
    queue.push(job);
    wroteAny = true;
  };
  // Writes finished members in order while more than `keep` are in flight.
  const drain = async (stream: Transform, keep: number) => {
    while (queue.length > keep) stream.push(await queue.shift());
  };
  const cut = () => {
    const all = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    let at = 0;
    for (; all.length - at >= size; at += size) start(all.subarray(at, at + size));
    pending = at < all.length ? [all.subarray(at)] : [];
    pendingBytes = all.length - at;
  };

  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= size) cut();
      drain(this, parallel - 1).then(() => done(), done);
    },
    flush(done: TransformCallback) {
      // An empty input still makes one (empty) member, as gzip does.
      if (pendingBytes > 0 || !wroteAny) start(pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes));
      pending = [];
      pendingBytes = 0;
      drain(this, 0).then(() => done(), done);
    },
  });
}
