import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { EngineError } from "../../../src/errors.ts";
import { readDockerStream, type DockerStreamLine } from "../../../src/engine/stream.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** Cuts `text` into chunks at the given byte offsets. */
function chunked(text: string, cuts: number[]): Uint8Array[] {
  const bytes = enc(text);
  const edges = [0, ...cuts, bytes.length];
  return edges.slice(1).map((end, i) => bytes.slice(edges[i], end));
}

async function* from(chunks: Array<Uint8Array | string>) {
  for (const c of chunks) yield c;
}

const pullOutput = [
  { status: "Pulling from library/busybox", id: "latest" },
  { status: "Downloading", id: "abc", progressDetail: { current: 10, total: 100 }, progress: "[=>   ]" },
  { status: "Digest: sha256:0123" },
  { status: "Status: Downloaded newer image for busybox:latest" },
].map((l) => JSON.stringify(l)).join("\r\n") + "\r\n";

describe("readDockerStream", () => {
  it("parses lines split anywhere across chunks, including mid-line and mid-character", async () => {
    const text = pullOutput + JSON.stringify({ stream: "Step 1/2 : RUN echo héllo ✓\n" }) + "\n";
    const bytes = enc(text);
    for (const cut of [1, 7, 40, 61, bytes.length - 5]) {
      const lines = await readDockerStream(from(chunked(text, [cut, Math.min(cut + 3, bytes.length - 1)])));
      expect(lines).toHaveLength(5);
      expect(lines[1].progressDetail).toEqual({ current: 10, total: 100 });
      expect(lines[4].stream).toBe("Step 1/2 : RUN echo héllo ✓\n");
    }
    // every single byte its own chunk: multi-byte characters cross chunk boundaries too
    const oneByte = Array.from(bytes, (b) => Uint8Array.of(b));
    expect((await readDockerStream(from(oneByte)))[4].stream).toContain("héllo ✓");
  });

  it("reports every line to onProgress, and handles a last line without a newline", async () => {
    const seen: DockerStreamLine[] = [];
    const lines = await readDockerStream(from([pullOutput, '{"aux":{"ID":"sha256:feed"}}']), (l) => seen.push(l));
    expect(lines).toHaveLength(5);
    expect(seen).toEqual(lines);
    expect(lines[4].aux).toEqual({ ID: "sha256:feed" });
  });

  it("fails on the first errorDetail with Docker's message, even when it is split", async () => {
    const text = pullOutput + JSON.stringify({ errorDetail: { message: "manifest for x:y not found" }, error: "manifest for x:y not found" }) + "\n" + JSON.stringify({ errorDetail: { message: "second" } }) + "\n";
    const chunks = chunked(text, [pullOutput.length + 10]);
    const err = await readDockerStream(from(chunks)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).message).toBe("manifest for x:y not found");
  });

  it("fails on a bare `error` field and keeps the code from errorDetail", async () => {
    await expect(readDockerStream(from(['{"error":"push denied"}\n']))).rejects.toMatchObject({ name: "EngineError", message: "push denied" });
    await expect(readDockerStream(from(['{"errorDetail":{"code":1,"message":"cmd failed"}}']))).rejects.toMatchObject({ message: "cmd failed", statusCode: 1 });
  });

  it("keeps non-JSON lines as plain output and skips blank ones", async () => {
    expect(await readDockerStream(from(["hello\n\n\r\n", '{"status":"ok"}\n']))).toEqual([{ stream: "hello" }, { status: "ok" }]);
  });

  it("turns a broken stream into an EngineError", async () => {
    const broken = new Readable({ read() {} });
    broken.push(enc('{"status":"a"}\n{"sta'));
    setTimeout(() => broken.destroy(new Error("socket hang up")), 5);
    await expect(readDockerStream(broken)).rejects.toMatchObject({ name: "EngineError", message: expect.stringContaining("socket hang up") });
  });

  it("reads a Node stream of Buffers (what dockerode returns)", async () => {
    const lines = await readDockerStream(Readable.from(chunked(pullOutput, [13, 14, 90]).map((c) => Buffer.from(c))));
    expect(lines.map((l) => l.status)).toEqual(["Pulling from library/busybox", "Downloading", "Digest: sha256:0123", "Status: Downloaded newer image for busybox:latest"]);
  });
});
