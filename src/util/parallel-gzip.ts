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
import { crc32, deflateRawSync, gzip as gzipCallback, type ZlibOptions } from "node:zlib";

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

/**
 * A piece of input: the slices of the written chunks it spans, in order. Kept as slices
 * so that a stored piece is copied once, into its member, and never assembled first.
 */
type Piece = Buffer[];

const lengthOf = (piece: Piece) => piece.reduce((n, b) => n + b.length, 0);

/** `length` bytes of the piece from `offset` (a view when they lie in one slice). */
function bytesAt(piece: Piece, offset: number, length: number): Buffer {
  const out: Buffer[] = [];
  for (const b of piece) {
    if (length === 0) break;
    if (offset >= b.length) {
      offset -= b.length;
      continue;
    }
    const take = b.subarray(offset, offset + length);
    out.push(take);
    length -= take.length;
    offset = 0;
  }
  return out.length === 1 ? out[0] : Buffer.concat(out);
}

/**
 * Whether a piece is worth compressing, judged on samples from its start, middle and
 * end. Decided here, synchronously (a raw deflate of 24 KiB takes a fraction of a
 * millisecond): a stored piece then never waits for the thread pool. The same sizes
 * as a gzip member's, less its header and trailer.
 */
function compresses(piece: Piece, size: number, level: number): boolean {
  const sample = size <= 3 * SAMPLE ? bytesAt(piece, 0, size) : Buffer.concat([bytesAt(piece, 0, SAMPLE), bytesAt(piece, (size - SAMPLE) >> 1, SAMPLE), bytesAt(piece, size - SAMPLE, SAMPLE)]);
  return deflateRawSync(sample, { level }).length <= sample.length * (1 - MIN_SAVING);
}

/** The gzip header zlib writes at level 0 (no name, mtime 0, OS unix). */
const STORED_HEADER = Buffer.from("1f8b0800000000000403", "hex");
/** The most bytes one stored deflate block holds (RFC 1951 section 3.2.4). */
const STORED_BLOCK = 0xffff;

/**
 * A gzip member holding the piece in stored deflate blocks, written here: one copy and
 * a CRC-32 (zlib's, vectorised), where zlib at level 0 costs several times that.
 */
export function storedMember(piece: Buffer | Piece): Buffer {
  const parts = Array.isArray(piece) ? piece : [piece];
  const size = lengthOf(parts);
  const blocks = Math.max(1, Math.ceil(size / STORED_BLOCK));
  const out = Buffer.allocUnsafe(STORED_HEADER.length + blocks * 5 + size + 8);
  let at = STORED_HEADER.copy(out, 0);
  let crc = 0;
  let part = 0;
  let inPart = 0;
  for (let i = 0; i < blocks; i++) {
    let len = Math.min(STORED_BLOCK, size - i * STORED_BLOCK);
    out[at] = i === blocks - 1 ? 1 : 0;
    out.writeUInt16LE(len, at + 1);
    out.writeUInt16LE(~len & 0xffff, at + 3);
    at += 5;
    while (len > 0) {
      const from = parts[part];
      const n = Math.min(len, from.length - inPart);
      at += from.copy(out, at, inPart, inPart + n);
      len -= n;
      inPart += n;
      if (inPart === from.length) (part++, (inPart = 0));
    }
  }
  for (const b of parts) crc = crc32(b, crc);
  out.writeUInt32LE(crc, at);
  out.writeUInt32LE(size >>> 0, at + 4);
  return out;
}

function member(piece: Piece, size: number, level: number): Buffer | Promise<Buffer> {
  return compresses(piece, size, level) ? gzipAsync(Buffer.concat(piece, size), { level }) : storedMember(piece);
}

/** A Transform from bytes to a multi-member gzip of them, compressing pieces in parallel, in order. */
export function parallelGzip(opts: ParallelGzipOptions = {}): Transform {
  const level = opts.level ?? 1;
  const parallel = Math.max(1, opts.parallel ?? availableParallelism());
  const size = opts.piece ?? PIECE;
  const queue: (Buffer | Promise<Buffer>)[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let wroteAny = false;

  const start = (piece: Piece, bytes: number) => {
    const job = member(piece, bytes, level);
    if (job instanceof Promise) job.catch(() => undefined);
    queue.push(job);
    wroteAny = true;
  };
  // Writes finished members in order while more than `keep` are in flight.
  const drain = async (stream: Transform, keep: number) => {
    while (queue.length > keep) stream.push(await queue.shift());
  };
  // Cuts every whole piece off the pending slices.
  const cut = () => {
    while (pendingBytes >= size) {
      const piece: Piece = [];
      let need = size;
      while (need > 0) {
        const b = pending[0];
        if (b.length <= need) {
          piece.push(b);
          pending.shift();
          need -= b.length;
        } else {
          piece.push(b.subarray(0, need));
          pending[0] = b.subarray(need);
          need = 0;
        }
      }
      pendingBytes -= size;
      start(piece, size);
    }
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
      if (pendingBytes > 0 || !wroteAny) start(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      drain(this, 0).then(() => done(), done);
    },
  });
}
