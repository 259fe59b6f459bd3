import { mkdtemp, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import { extract } from "tar-stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildLayer, layerBytes, type Layer } from "../../../src/build/layer.ts";
import { takeChanges, type TakenLayer } from "../../../src/build/remote/changes.ts";
import { unpackLayer } from "../../../src/build/remote/stacked.ts";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import { DockerEngine } from "../../../src/engine/docker.ts";
import type { ImageConfigDocument, RunSpec, StackedLayers } from "../../../src/engine/types.ts";
import { busyboxEntries } from "../../support/base-image.ts";
import { testEngine } from "../../support/services.ts";

/**
 * Stacked stages (src/build/remote/stacked.ts): a command runs on a stage slipway holds as
 * unpacked layer directories over an engine image, never loaded. The run must see the
 * stage's files and config as if it ran on the stage's image, its layer must hold its own
 * changes only, and whatever needs the stage as an image (a commit, a start by dockerd)
 * loads it first.
 */
const root = { uid: 0, gid: 0 };
let dockerd: PrivateEngine;
const engines: Record<"runc" | "engine", DockerEngine> = {} as never;
let stageLayer: Layer;
let stageDir: string;
let baseDir: string;
let stageDoc: ImageConfigDocument;
const made: string[] = [];

beforeAll(async () => {
  dockerd = await testEngine();
  engines.runc = new DockerEngine({ socketPath: dockerd.socketPath, executor: "runc" });
  engines.engine = new DockerEngine({ socketPath: dockerd.socketPath, executor: "engine" });
  const base = await buildLayer(busyboxEntries([
    { type: "directory", path: "/srv", mode: 0o755, ...root },
    { type: "file", path: "/srv/below", mode: 0o644, ...root, content: Buffer.from("below\n") },
    { type: "file", path: "/srv/kept", mode: 0o644, ...root, content: Buffer.from("kept\n") },
  ]));
  const baseDoc: ImageConfigDocument = { architecture: "amd64", os: "linux", config: { Env: ["PATH=/bin", "FROM=base"] }, rootfs: { type: "layers", diff_ids: [base.diffId] } };
  await engines.engine.loadImage(baseDoc, [base], ["stacked-base:1"]);
  // The image a run is created on when every layer is stacked: none of its own.
  await engines.engine.loadImage({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [] } }, [], ["stacked-root:1"]);
  const unpackedBase = await unpackLayer(async () => (await import("node:zlib")).createGzip().end(await layerBytes(base)), { gzip: true });
  await base.dispose();
  if (!unpackedBase) throw new Error("the base layer was not unpacked");
  baseDir = unpackedBase;
  stageLayer = await buildLayer([
    { type: "directory", path: "/etc", mode: 0o751, ...root },
    { type: "directory", path: "/srv", mode: 0o755, ...root },
    { type: "file", path: "/srv/below", mode: 0o644, ...root, content: Buffer.from("over\n") },
    { type: "directory", path: "/srv/app", mode: 0o750, uid: 1000, gid: 1000 },
    { type: "file", path: "/srv/app/run.sh", mode: 0o755, uid: 1000, gid: 1000, content: Buffer.from("echo stacked\n") },
  ]);
  stageDoc = { ...baseDoc, config: { Env: ["PATH=/bin", "FROM=stage", "ONLY=stage"], WorkingDir: "/srv/app", User: "app" }, rootfs: { type: "layers", diff_ids: [base.diffId, stageLayer.diffId] } };
  const dir = await unpackLayer(() => stageLayer.open());
  if (!dir) throw new Error("the stage's layer was not unpacked");
  stageDir = dir;
}, 120_000);
afterAll(async () => {
  await stageLayer?.dispose();
  for (const dir of [stageDir, baseDir]) if (dir) await rm(dir, { recursive: true, force: true });
  await dockerd?.stop();
});

/** The stacked stage; `materialize` loads its image (once per tag) and counts the calls. */
function stacked(calls: { n: number }, tag: string): StackedLayers {
  return {
    dirs: [stageDir], config: stageDoc.config,
    async materialize() {
      calls.n++;
      if (!made.includes(tag)) await engines.engine.loadImage(stageDoc, [stageLayer], [tag]), made.push(tag);
      return tag;
    },
  };
}

async function entriesOf(taken: TakenLayer | undefined): Promise<string[]> {
  if (!taken?.layer) return [];
  const out: string[] = [];
  const reader = extract();
  reader.on("entry", (h, stream, next) => {
    out.push(`${h.type} ${h.name} ${h.uid}:${h.gid}`);
    stream.resume().on("end", next);
  });
  Readable.from(await layerBytes(taken.layer)).pipe(reader);
  await new Promise<void>((resolve, reject) => reader.on("finish", () => resolve()).on("error", reject));
  await taken.layer.dispose();
  return out.sort();
}

const script = "id -u; pwd; echo $FROM $ONLY; cat /srv/below /srv/kept; sh ./run.sh; echo new > /srv/new; rm /srv/kept /srv/app/run.sh";
const spec = (over: Partial<RunSpec>): RunSpec => ({ image: "stacked-base:1", script, network: false, binds: [], imageUser: true, ...over });
const expectedOutput = "0\n/srv/app\nstage stage\nover\nkept\nstacked\n";
const expectedLayer = ["directory srv/ 0:0", "directory srv/app/ 1000:1000", "file srv/.wh.kept 0:0", "file srv/app/.wh.run.sh 0:0", "file srv/new 0:0"];

/** Runs `over` under `executor` with its output kept and its changes taken; `byRunc`: whether runc started it. */
async function runTaking(executor: "runc" | "engine", over: Partial<RunSpec>) {
  let output = "";
  let taken: TakenLayer | undefined;
  const before = engines[executor].runs.runc;
  const result = await engines[executor].runAndCommit(spec({ ...over, onOutput: (c) => (output += c.toString()), takeChanges: async (d) => (taken = await takeChanges(d, true)) !== undefined }));
  return { result, output, taken, byRunc: engines[executor].runs.runc - before === 1 };
}

describe("a command run on a stacked stage", () => {
  test.each([
    ["sees the stage's files, directory and environment; its layer holds its own changes only; nothing is loaded", {}],
    ["on an image with no layers, with every layer stacked, runs as it does on the image below", { image: "stacked-root:1", withBase: true }],
  ] as const)("%s", async (_name, how: { image?: string; withBase?: boolean }) => {
    const calls = { n: 0 };
    const layers = { ...stacked(calls, "stacked-stage:1"), ...(how.withBase && { dirs: [stageDir, baseDir] }) };
    const { result, output, taken, byRunc } = await runTaking("runc", { ...(how.image && { image: how.image }), imageUser: false, stacked: layers });
    expect(result).toMatchObject({ exitCode: 0, taken: true });
    expect(output).toBe(expectedOutput);
    expect([calls.n, byRunc]).toEqual([0, true]);
    expect(await entriesOf(taken)).toEqual(expectedLayer);
  }, 60_000);

  test("sees /etc as the stage has it, not as the engine's init layer made it, and its layer keeps that when it writes there", async () => {
    const { result, output, taken } = await runTaking("runc", {
      image: "stacked-root:1", imageUser: false, script: "stat -c '%a %u %Y' /etc; echo x > /etc/new", stacked: { ...stacked({ n: 0 }, "stacked-stage:1"), dirs: [stageDir, baseDir] },
    });
    expect(result.exitCode).toBe(0);
    expect(output).toBe("751 0 0\n");
    const { extract: untar } = await import("tar-stream");
    const modes: string[] = [];
    const reader = untar();
    reader.on("entry", (h, stream, next) => (modes.push(`${h.name} ${h.mode?.toString(8)}`), stream.resume().on("end", next)));
    Readable.from(await layerBytes(taken!.layer!)).pipe(reader);
    await new Promise<void>((r) => reader.on("finish", () => r()));
    await taken!.layer!.dispose();
    expect(modes.find((m) => m.startsWith("etc/ "))).toBe("etc/ 751");
  }, 60_000);

  test("a secret bound below a stacked directory: its stubs go, the stacked directory's copy in the run's layer stays, as over the stage's image", async () => {
    const secret = join(await mkdtemp(join(tmpdir(), "slipway-test-")), "secret");
    await (await import("node:fs/promises")).writeFile(secret, "s3cret\n");
    const { result, output, taken, byRunc } = await runTaking("runc", {
      imageUser: false, script: "cat /srv/app/sub/secret", stacked: stacked({ n: 0 }, "stacked-stage:1"),
      binds: [{ source: secret, target: "/srv/app/sub/secret", readOnly: true, stub: "file" }],
    });
    expect([result.exitCode, output, byRunc]).toEqual([0, "s3cret\n", true]);
    // The mount point and the directory made for it are stubs; /srv/app, which the stacked layer has, is not.
    expect(await entriesOf(taken)).toEqual(["directory srv/ 0:0", "directory srv/app/ 1000:1000"]);
    await rm(dirname(secret), { recursive: true, force: true });
  }, 60_000);

  test("runs as the stage's user, and the stage's Env comes after the run's own", async () => {
    const calls = { n: 0 };
    let output = "";
    const result = await engines.runc.runAndCommit(spec({ script: "id -u; pwd; echo $FROM $ONLY", env: ["FROM=run"], stacked: stacked(calls, "stacked-stage:1"), onOutput: (c) => (output += c.toString()), takeChanges: async () => true }));
    expect(result.exitCode).toBe(0);
    expect(output).toBe("1000\n/srv/app\nrun stage\n");
    expect(calls.n).toBe(0);
  }, 60_000);

  test("whose changes cannot be taken is committed on the stage's image, loaded then", async () => {
    const calls = { n: 0 };
    const result = await engines.runc.runAndCommit(spec({ script: "echo new > /tmp/new; rm /srv/kept", imageUser: false, stacked: stacked(calls, "stacked-stage:2"), takeChanges: async () => false }));
    expect(result.exitCode).toBe(0);
    expect(calls.n).toBe(1);
    expect(result.committed).toBeDefined();
    const layers = (await engines.engine.inspectImage(result.committed!))?.config.rootfs.diff_ids;
    expect(layers?.slice(0, 2)).toEqual(stageDoc.rootfs.diff_ids);
    expect(layers?.at(-1)).toBe(result.diffId);
    let listing = "";
    await engines.engine.runAndCommit({ image: result.committed!, script: "cat /tmp/new /srv/below /srv/app/run.sh; ls /srv", network: false, binds: [], onOutput: (c) => (listing += c.toString()) });
    expect(listing).toBe("new\nover\necho stacked\napp\nbelow\n");
  }, 60_000);

  test("that dockerd must start runs on the stage's image, loaded then", async () => {
    for (const [executor, over] of [["runc", { network: true }], ["engine", {}]] as const) {
      const calls = { n: 0 };
      const { result, output, taken, byRunc } = await runTaking(executor, { ...over, stacked: stacked(calls, "stacked-stage:3"), imageUser: false });
      expect(result.exitCode, executor).toBe(0);
      expect(output, executor).toBe(expectedOutput);
      expect([calls.n, byRunc], executor).toEqual([1, false]);
      expect(await entriesOf(taken), executor).toEqual(expectedLayer);
    }
  }, 60_000);

  test("whose WORKDIR neither it nor the image below has is started by dockerd, which makes it, on the stage's image", async () => {
    const calls = { n: 0 };
    const doc = { ...stageDoc, config: { ...stageDoc.config, WorkingDir: "/srv/app/made" } };
    const { result, output, taken, byRunc } = await runTaking("runc", {
      script: "pwd", imageUser: false,
      stacked: { dirs: [stageDir], config: doc.config, materialize: async () => (calls.n++, await engines.engine.loadImage(doc, [stageLayer], ["stacked-workdir:1"]), "stacked-workdir:1") },
    });
    expect(result.exitCode).toBe(0);
    expect(output).toBe("/srv/app/made\n");
    expect([calls.n, byRunc]).toEqual([1, false]);
    expect(await entriesOf(taken)).toEqual(["directory srv/ 0:0", "directory srv/app/ 1000:1000", "directory srv/app/made/ 0:0"]);
  }, 60_000);

  test("the engine says whether it stacks: runc does, dockerd's start does not", async () => {
    expect(await engines.runc.stacksLayers()).toBe(process.getuid?.() === 0);
    expect(await engines.engine.stacksLayers()).toBe(false);
  });
});

describe("unpacking a layer for stacking", () => {
  test("keeps owners and modes; a whiteout becomes overlay's (a 0/0 device), the directory it is in keeps its attributes", async () => {
    const plain = await buildLayer([{ type: "file", path: "/a", mode: 0o640, uid: 7, gid: 9, content: Buffer.from("a") }]);
    const dir = await unpackLayer(() => plain.open());
    expect(dir).toBeDefined();
    const { lstat, readdir } = await import("node:fs/promises");
    const st = await lstat(`${dir}/a`);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o640, 7, 9]);
    await rm(dir!, { recursive: true, force: true });
    const deleting = await buildLayer([{ type: "directory", path: "/d", mode: 0o710, uid: 5, gid: 6 }, { type: "whiteout", path: "/d/b" }]);
    const converted = await unpackLayer(() => deleting.open());
    expect(converted).toBeDefined();
    expect(await readdir(`${converted}/d`)).toEqual(["b"]);
    const b = await lstat(`${converted}/d/b`);
    const d = await lstat(`${converted}/d`);
    expect([b.isCharacterDevice(), b.rdev, d.mode & 0o7777, d.uid, d.gid, d.mtimeMs]).toEqual([true, 0, 0o710, 5, 6, 0]);
    await rm(converted!, { recursive: true, force: true });
    await Promise.all([plain.dispose(), deleting.dispose()]);
  });

  test("a run on stacked layers with whiteouts and an opaque directory sees what the image would show", async () => {
    const deleting = await buildLayer([
      { type: "directory", path: "/srv", mode: 0o755, ...root },
      { type: "whiteout", path: "/srv/below" },
      { type: "directory", path: "/srv/app", mode: 0o750, uid: 1000, gid: 1000 },
      { type: "file", path: "/srv/app/.wh..wh..opq", mode: 0o600, ...root, content: Buffer.alloc(0) },
      { type: "file", path: "/srv/app/fresh", mode: 0o644, ...root, content: Buffer.from("fresh\n") },
    ]);
    const top = await unpackLayer(() => deleting.open());
    expect(top).toBeDefined();
    let output = "";
    const result = await engines.runc.runAndCommit(spec({
      image: "stacked-root:1", imageUser: false, script: "ls -a /srv /srv/app", stacked: { ...stacked({ n: 0 }, "stacked-stage:1"), dirs: [top!, stageDir, baseDir] },
      onOutput: (c) => (output += c.toString()), takeChanges: async () => true,
    }));
    expect(result.exitCode).toBe(0);
    expect(output).toBe("/srv:\n.\n..\napp\nkept\n\n/srv/app:\n.\n..\nfresh\n");
    await rm(top!, { recursive: true, force: true });
    await deleting.dispose();
  }, 60_000);

  test("a registry blob: gunzipped into tar as it arrives, the same files; a source that fails leaves nothing behind", async () => {
    const { gzipSync } = await import("node:zlib");
    const { readdir, readFile } = await import("node:fs/promises");
    const layer = await buildLayer([{ type: "file", path: "/opt/big", mode: 0o600, uid: 3, gid: 4, content: Buffer.alloc(3 << 20, 7) }, { type: "symlink", path: "/opt/link", ...root, target: "big" }]);
    const gz = gzipSync(await layerBytes(layer));
    const dir = await unpackLayer(() => Readable.from([gz.subarray(0, 1000), gz.subarray(1000)]), { gzip: true });
    expect(dir).toBeDefined();
    expect((await readFile(`${dir}/opt/big`)).equals(Buffer.alloc(3 << 20, 7))).toBe(true);
    const { lstat, readlink } = await import("node:fs/promises");
    const st = await lstat(`${dir}/opt/big`);
    expect([st.mode & 0o7777, st.uid, st.gid, await readlink(`${dir}/opt/link`)]).toEqual([0o600, 3, 4, "big"]);
    await rm(dir!, { recursive: true, force: true });
    const parent = await mkdtemp(join(tmpdir(), "slipway-test-"));
    const failing = () => new Readable({ read() { this.push(gz.subarray(0, 5000)); this.destroy(new Error("digest mismatch")); } });
    expect(await unpackLayer(failing, { gzip: true, parent })).toBeUndefined();
    // The whole archive, then its digest check fails at the blob's end: tar has everything by then, and is done
    // (it stops at the archive's end marker; 3 MB of bytes that do not compress come after it).
    const { randomBytes } = await import("node:crypto");
    const padded = gzipSync(Buffer.concat([await layerBytes(layer), randomBytes(3 << 20)]));
    const lateFailure = () => Readable.from((async function* () {
      yield padded;
      await new Promise((r) => setTimeout(r, 200));
      throw new Error("digest mismatch");
    })());
    expect(await unpackLayer(lateFailure, { gzip: true, parent })).toBeUndefined();
    expect(await readdir(parent)).toEqual([]);
    // Bytes after the archive's end, which tar does not read: unpacked, the rest read (to the digest check) and dropped.
    const read: number[] = [];
    const slowTail = () => Readable.from((async function* () {
      yield padded.subarray(0, 4096);
      for (let at = 4096; at < padded.length; at += 65536) {
        read.push(at);
        yield padded.subarray(at, at + 65536);
      }
    })());
    const tail = await unpackLayer(slowTail, { gzip: true, parent });
    expect(tail).toBeDefined();
    expect(read.at(-1)! + 65536).toBeGreaterThanOrEqual(padded.length);
    expect((await readFile(`${tail}/opt/big`)).equals(Buffer.alloc(3 << 20, 7))).toBe(true);
    await rm(tail!, { recursive: true, force: true });
    expect(await readdir(parent)).toEqual([]);
    await rm(parent, { recursive: true });
    await layer.dispose();
  });
});
