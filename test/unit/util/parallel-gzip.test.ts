import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { parallelGzip, storedMember, type ParallelGzipOptions } from "../../../src/util/parallel-gzip.ts";

async function gz(input: Buffer, opts: ParallelGzipOptions = {}, chunk = 7000): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let at = 0; at < input.length; at += chunk) parts.push(input.subarray(at, at + chunk));
  const out: Buffer[] = [];
  await pipeline(Readable.from(parts), parallelGzip(opts), async function* (source) {
    for await (const b of source) out.push(b as Buffer);
  });
  return Buffer.concat(out);
}

const text = (n: number) => Buffer.from(Array.from({ length: Math.ceil(n / 40) }, (_, i) => `line ${i} of some very compressible text\n`).join("").slice(0, n));

describe("parallel gzip of layer blobs", () => {
  test("round-trips through an ordinary gunzip, whatever the piece size and input chunking", async () => {
    const input = Buffer.concat([text(100_000), randomBytes(70_000), text(33_333)]);
    for (const piece of [4096, 65536, 1 << 20]) {
      for (const chunk of [1, 999, 100_000]) {
        if (chunk === 1 && piece > 4096) continue;
        // Byte-at-a-time input only over a prefix: the point is pieces spanning many writes.
        const part = chunk === 1 ? input.subarray(0, 5_000) : input;
        expect(gunzipSync(await gz(part, { piece, parallel: 3 }, chunk))).toEqual(part);
      }
    }
  });

  test("one gzip member per piece, in input order", async () => {
    const input = text(11 * 4096);
    const pieces = Array.from({ length: 11 }, (_, i) => input.subarray(i * 4096, (i + 1) * 4096));
    expect(await gz(input, { piece: 4096, parallel: 4 })).toEqual(Buffer.concat(pieces.map((p) => gzipSync(p, { level: 1 }))));
  });

  test("the same input gives the same bytes, however many pieces are compressed at once", async () => {
    const input = Buffer.concat([randomBytes(50_000), text(80_000)]);
    const one = await gz(input, { piece: 16384, parallel: 1 }, 5000);
    const many = await gz(input, { piece: 16384, parallel: 8 }, 65536);
    expect(many).toEqual(one);
  });

  test("incompressible pieces are stored, compressible ones are compressed", async () => {
    const noise = randomBytes(4 << 20);
    const stored = await gz(noise, { parallel: 2 });
    // Stored deflate: 5 bytes per 64 KiB block and 18 per member, no more.
    expect(stored.length).toBeLessThan(noise.length * 1.001);
    expect(stored.length).toBeGreaterThan(noise.length);
    const prose = text(4 << 20);
    expect((await gz(prose, { parallel: 2 })).length).toBeLessThan(prose.length / 5);
  });

  test("a stored member is a gzip member of its bytes, in blocks of at most 65535", () => {
    for (const size of [0, 1, 65535, 65536, 3 * 65535 + 7, 1 << 20]) {
      const piece = randomBytes(size);
      const member = storedMember(piece);
      expect(gunzipSync(member).equals(piece), `size ${size}`).toBe(true);
      expect(member.length).toBe(10 + Math.max(1, Math.ceil(size / 65535)) * 5 + size + 8);
    }
  });

  test("a stored member of slices is the stored member of their bytes", () => {
    const whole = randomBytes(3 * 65535 + 11);
    const slices = [whole.subarray(0, 1), whole.subarray(1, 70_000), whole.subarray(70_000, 70_000), whole.subarray(70_000)];
    expect(storedMember(slices)).toEqual(storedMember(whole));
    expect(gunzipSync(storedMember(slices)).equals(whole)).toBe(true);
  });

  test("an empty input is one empty member", async () => {
    const out = await gz(Buffer.alloc(0));
    expect(gunzipSync(out).length).toBe(0);
  });

  test("an error upstream fails the pipeline", async () => {
    const failing = new Readable({ read() { this.destroy(new Error("source broke")); } });
    await expect(pipeline(failing, parallelGzip(), async function* (s) { for await (const _ of s) yield _; })).rejects.toThrow("source broke");
  });
});
