/**
 * Stacked stages: a stage that only a later command stage reads goes into the engine as a
 * directory, not as an image. Its layer (made in Node, or taken from a run) is unpacked
 * here, and the command runs with it mounted over the engine image below it (RunSpec
 * stacked, src/engine/runc.ts). A `docker load` costs 75-100 ms on a build node (dockerd
 * re-executes itself to unpack, and syncs its layer store to disk); unpacking a layer of
 * a few files takes a few milliseconds. A stage stacked on a stacked one adds its
 * directory on top of the same image. The base image, and a stage the registry has, are
 * downloaded and unpacked the same way (stackBase, stackFromRegistry), on an empty image.
 *
 * When a stacked stage is needed as an image after all (dockerd must start or commit the
 * run, an import reads it, a stage made on it is loaded), it is loaded or pulled then,
 * once (`materialize`). What cannot be stacked exactly is loaded at once: a layer tar
 * cannot read (zstd), a stage whose VOLUMEs differ from the image below (dockerd mounts
 * those), a stage on another image's (fromImage). See docs/internals.md, "Stacked stages".
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { lstat, mkdtemp, rm } from "node:fs/promises";
import type { Stats } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { Transform, Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isDeepStrictEqual } from "node:util";
import { pack, type Header } from "tar-stream";
import { createGunzip } from "node:zlib";
import type { ImageConfigDocument } from "../../engine/types.ts";
import type { Layer } from "../layer.ts";
import { stageRef } from "../names.ts";
import type { ImagePlan } from "../plan.ts";
import { parseImageRef } from "../../registry/index.ts";
import { outsideTallies } from "../../registry/tally.ts";
import type { Registry } from "../../registry/types.ts";
import type { Descriptor } from "../../image/media.ts";
import { readBaseImage, type BaseImage } from "./append.ts";
import { loadMade, pulledBase, stackOrPullEarly } from "./early.ts";
import { background, ensureLocal, firstToWait, pullStage, type Walk } from "./walk.ts";

export interface Stacked {
  /** The engine image under the stacked layers. */
  baseRef: string;
  /** The layers' directories, top first (none: a stage that only changed the config). */
  dirs: string[];
  /** The stage's config document. */
  doc: ImageConfigDocument;
  /** Loads the stage as an image, once; the first call resolves to the bytes pulled for it. */
  materialize(): Promise<number>;
  materialized: boolean;
}

/** Whether the engine runs commands on stacked layers (asked once per build). */
function stacksLayers(walk: Walk): Promise<boolean> {
  walk.stacks ??= Promise.all([walk.opts.engine.stacksLayers?.().catch(() => false) ?? false, gnuTar()]).then(([engine, tar]) => engine && tar);
  return walk.stacks;
}

let isGnuTar: Promise<boolean> | undefined;

/** Whether `tar` is GNU tar, which unpacks as overlay needs (owners, extended attributes, -v names); asked once. */
function gnuTar(): Promise<boolean> {
  isGnuTar ??= new Promise<boolean>((resolve) => {
    let out = "";
    const tar = spawn("tar", ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
    tar.stdout.on("data", (c: Buffer) => (out += c.toString()));
    tar.on("error", () => resolve(false)).on("close", (code) => resolve(code === 0 && out.includes("GNU tar")));
  });
  return isGnuTar;
}

/**
 * Unpacks a layer into a new directory (in `parent`) in overlay's format: as root, with
 * owners, modes, times and extended attributes kept, and whiteouts as overlay's (untar).
 * Undefined, with nothing left behind, when tar fails or the source does (a blob whose
 * digest does not match fails at its end).
 */
export async function unpackLayer(open: () => Readable | Promise<Readable>, opts: { gzip?: boolean; parent?: string } = {}): Promise<string | undefined> {
  const dir = await mkdtemp(join(opts.parent ?? tmpdir(), "slipway-stacked-"));
  try {
    const source = await open();
    // Streamed into tar as it arrives: the download, the inflating and tar's writes overlap.
    // Node's zlib inflates (about three times as fast as gzip(1)) in pieces of 1 MB or
    // more: each write to it is a round trip to its thread pool, and a socket's 64 KB
    // chunks, one round trip each, cost more than the inflating.
    const chain: Array<Readable | Transform> = opts.gzip ? [source, batched(1 << 20), createGunzip({ chunkSize: 1 << 20 })] : [source];
    if (await untar(dir, chain)) return dir;
  } catch {
    // A failed source (a digest that does not match ends the blob's stream with an error) unpacks nothing.
  }
  await rm(dir, { recursive: true, force: true });
  return undefined;
}

/**
 * Writes into tar's stdin, and once tar has stopped reading (it stops at the archive's end
 * marker, before any padding after it) drops the rest: the source is still read to its
 * end, where a blob's digest is checked.
 */
function intoTar(stdin: Writable): Writable {
  let open = true;
  stdin.on("error", () => (open = false));
  return new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _encoding, done) {
      if (!open || stdin.destroyed) return done();
      stdin.write(chunk, (err) => {
        if (err) open = false;
        done();
      });
    },
    final(done) {
      if (open && !stdin.destroyed) stdin.end();
      done();
    },
  });
}

/** A stream of the same bytes in chunks of at least `size` (the last may be smaller). */
function batched(size: number): Transform {
  let held: Buffer[] = [];
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      held.push(chunk);
      bytes += chunk.byteLength;
      if (bytes < size) return done();
      const out = Buffer.concat(held, bytes);
      held = [];
      bytes = 0;
      done(null, out);
    },
    flush(done) {
      done(null, bytes > 0 ? Buffer.concat(held, bytes) : undefined);
    },
  });
}

/**
 * GNU tar, as root, into `dir`; false when it fails. The layer's whiteouts (`.wh.` files)
 * become overlay's: a 0/0 character device for a deleted name, the extended attribute
 * trusted.overlay.opaque=y for an opaque directory, as dockerd's overlay2 stores them.
 */
async function untar(dir: string, chain: Array<Readable | Transform>): Promise<boolean> {
  const listed = await new Promise<string[] | undefined>((resolve) => {
    // Records of 1 MB (-b 2048), read whole (-B): tar's default 10 KB reads of a pipe cost a
    // switch between writer and reader per 10 KB.
    const tar = spawn("tar", ["-x", "-v", "-b", "2048", "-B", "--numeric-owner", "--same-owner", "-p", "--xattrs", "--xattrs-include=*", "-C", dir, "-f", "-"], { stdio: ["pipe", "pipe", "ignore"] });
    const whiteouts: string[] = [];
    let rest = "";
    const take = (lines: string[]) => whiteouts.push(...lines.filter((l) => /(^|\/)\.wh\./.test(l)));
    tar.stdout.on("data", (c: Buffer) => {
      const lines = (rest + c.toString("utf8")).split("\n");
      rest = lines.pop() ?? "";
      take(lines);
    });
    const exited = new Promise<boolean>((done) => {
      tar.on("error", () => done(false));
      tar.on("close", (code) => (take([rest]), done(code === 0)));
    });
    // Every stream of the chain is destroyed on a failure (a socket is never left paused), and tar's input ends.
    const fed = pipeline([...chain, intoTar(tar.stdin)]).then(() => true, () => (tar.stdin.destroy(), false));
    void Promise.all([exited, fed]).then(([ok, read]) => resolve(ok && read ? whiteouts : undefined));
  });
  if (!listed) return false;
  return listed.length === 0 || overlayWhiteouts(dir, listed);
}

/**
 * Turns the `.wh.` files tar unpacked (paths relative to `dir`, as tar listed them) into
 * overlay's whiteouts, keeping the owner, mode and times of the directories they are in;
 * false (the layer is loaded by the engine instead) for a name tar had to quote.
 */
async function overlayWhiteouts(dir: string, listed: string[]): Promise<boolean> {
  const names = listed.map((l) => posix.normalize(l.replace(/^\.\//, ""))).filter((n) => n !== ".");
  if (names.some((n) => n.includes("\\") || n.startsWith("..") || posix.isAbsolute(n))) return false;
  const parents = [...new Set(names.map((n) => posix.dirname(n)))];
  const dirStats = new Map<string, Stats>();
  for (const p of parents) {
    const st = await lstat(join(dir, p)).catch(() => undefined);
    if (!st?.isDirectory()) return false;
    dirStats.set(p, st);
  }
  const headers: Partial<Header>[] = [];
  for (const n of names) {
    await rm(join(dir, n), { force: true });
    const name = posix.basename(n).slice(".wh.".length);
    if (name === ".wh..opq") continue;
    headers.push({ name: posix.join(posix.dirname(n), name), type: "character-device", devmajor: 0, devminor: 0, mode: 0, uid: 0, gid: 0, mtime: new Date(0) });
  }
  const opaque = new Set(names.filter((n) => posix.basename(n) === ".wh..wh..opq").map((n) => posix.dirname(n)));
  // The directories last, with what they had before: tar sets a directory's times once its entries are in.
  for (const [p, st] of dirStats) {
    headers.push({ name: `${p === "." ? "." : p}/`, type: "directory", mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime, ...(opaque.has(p) && { pax: { "SCHILY.xattr.trusted.overlay.opaque": "y" } }) });
  }
  const archive = pack();
  for (const h of headers) archive.entry(h as Header);
  archive.finalize();
  return new Promise<boolean>((resolve) => {
    const tar = spawn("tar", ["-x", "--numeric-owner", "--same-owner", "-p", "--xattrs", "--xattrs-include=*", "-C", dir, "-f", "-"], { stdio: ["pipe", "ignore", "ignore"] });
    tar.on("error", () => resolve(false)).on("close", (code) => resolve(code === 0));
    tar.stdin.on("error", () => undefined);
    archive.pipe(tar.stdin);
  });
}

/** A layer media type tar reads: gzip or plain (zstd and foreign layers are not unpacked here). */
function tarReads(mediaType: string): { gzip: boolean } | undefined {
  if (/tar\+gzip$|tar\.gzip$/.test(mediaType)) return { gzip: true };
  if (/\.tar$|diff\.tar$/.test(mediaType)) return { gzip: false };
  return undefined;
}

/** An image's layers unpacked for stacking, top first, and the blob bytes downloaded for them. */
interface Unpacked {
  dirs: string[];
  bytes: number;
}

/**
 * Downloads an image's layers from its registry and unpacks each into a directory, all
 * at once (a blob two images share is fetched once per build); undefined when any cannot
 * be stacked. The download counts in no stage's tally: the caller counts `bytes` once.
 */
async function fetchUnpacked(walk: Walk, registry: Registry, repo: string, layers: Descriptor[]): Promise<Unpacked | undefined> {
  const got = await Promise.all(layers.map((l) => {
    let unpacking = walk.unpacked.get(l.digest);
    let bytes = 0;
    if (!unpacking) {
      const reads = tarReads(l.mediaType);
      walk.unpacked.set(l.digest, (unpacking = background(reads ? outsideTallies(async () => {
        return unpackLayer(() => registry.readBlob(repo, l.digest), { ...reads, parent: await stackDir(walk) });
      }) : Promise.resolve(undefined))));
      bytes = l.size;
    }
    return unpacking.then((dir) => (dir ? { dir, bytes } : undefined), () => undefined);
  }));
  if (got.some((g) => !g)) return undefined;
  const ok = got as { dir: string; bytes: number }[];
  return { dirs: topmostOnce(ok.map((g) => g.dir).reverse()), bytes: ok.reduce((n, g) => n + g.bytes, 0) };
}

/**
 * Layer directories (top first) with a layer that appears twice kept only where it is
 * highest: overlay refuses a directory twice, and without whiteouts (never stacked) the
 * lower copy adds nothing the higher one does not.
 */
function topmostOnce(dirs: string[]): string[] {
  return dirs.filter((d, i) => dirs.indexOf(d) === i);
}

/**
 * Where this build's stacked layers are unpacked: a directory only root may enter (tar
 * gives a layer's root the mode its archive names, and a layer may hold setuid programs
 * and devices), removed when the build ends.
 */
function stackDir(walk: Walk): Promise<string> {
  walk.stackDir ??= mkdtemp(join(tmpdir(), "slipway-stacks-")).then((dir) => {
    // Also when the job is stopped and the process exits before the build's end (a
    // build node's 100 MB base must not stay behind on a machine that goes on).
    const atExit = () => rmSync(dir, { recursive: true, force: true });
    process.once("exit", atExit);
    walk.cleanups.push(async () => {
      process.off("exit", atExit);
      await rm(dir, { recursive: true, force: true });
    });
    return dir;
  });
  return walk.stackDir;
}

/** The image a stacked run's container is created on when every layer is stacked: no layer, no config. */
const STACKING_ROOT = "slipway-stages/stacking-root:empty";

function stackingRoot(walk: Walk): Promise<string> {
  walk.stackingRoot ??= background((async () => {
    const { engine } = walk.opts;
    if (await engine.inspectImage(STACKING_ROOT)) return STACKING_ROOT;
    const architecture = process.arch === "x64" ? "amd64" : process.arch;
    await engine.loadImage({ architecture, os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [] } }, [], [STACKING_ROOT]);
    return STACKING_ROOT;
  })());
  return walk.stackingRoot;
}

/**
 * A stage the registry has, for a command stage to run on (or a stage made in Node on
 * the way to one): its layers downloaded and unpacked here instead of pulled by the
 * engine, which decompresses serially, unpacks, and syncs its store to disk. Undefined
 * (nothing recorded) when the engine cannot stack or a layer cannot be stacked.
 */
export async function stackFromRegistry(walk: Walk, digest: string, ref: string): Promise<number | undefined> {
  if (!(await stacksLayers(walk))) return undefined;
  const { store, engine } = walk.opts;
  if (await engine.inspectImage(ref)) return undefined;
  const root = stackingRoot(walk);
  const stage = await store.read(digest);
  // The image it runs on has no VOLUME: a stage with one is dockerd's to mount.
  if (Object.keys(stage.config.config.Volumes ?? {}).length > 0) return undefined;
  const unpacked = await fetchUnpacked(walk, store.registry, store.repository, stage.manifest.layers);
  if (!unpacked) return undefined;
  walk.stacked.set(digest, newStacked(await root, unpacked.dirs, stage.config, () => pullStage(walk, digest, ref)));
  return unpacked.bytes;
}

/**
 * The base image `ref`'s layers unpacked for stacking (see stackFromRegistry), started as
 * soon as a command stage is known to run on it; undefined when they cannot be stacked
 * (the engine pulls it then).
 */
export function stackBase(walk: Walk, ref: string): Promise<BaseStack | undefined> {
  let stacking = walk.baseStacks.get(ref);
  if (!stacking) walk.baseStacks.set(ref, (stacking = background(fetchBase(walk, ref).catch(() => undefined))));
  return stacking;
}

export interface BaseStack {
  baseRef: string;
  dirs: string[];
  diffIds: string[];
  /** Bytes downloaded: the first stage to wait counts them (takeBytes). */
  bytes: number;
  /** Whether a stage has counted `bytes`. */
  counted?: boolean;
}

async function fetchBase(walk: Walk, ref: string): Promise<BaseStack | undefined> {
  if (!parseImageRef(ref).digest || !(await stacksLayers(walk)) || (await walk.opts.engine.inspectImage(ref))) return undefined;
  const root = stackingRoot(walk);
  const { registry, repository, manifest, config } = await baseImage(walk, ref);
  if (config.rootfs.diff_ids.length !== manifest.layers.length || Object.keys(config.config?.Volumes ?? {}).length > 0) return undefined;
  const unpacked = await fetchUnpacked(walk, registry, repository, manifest.layers);
  if (!unpacked) return undefined;
  return { baseRef: await root, dirs: unpacked.dirs, diffIds: config.rootfs.diff_ids, bytes: unpacked.bytes };
}

/** The base image `ref`'s manifest and config, read once per build: by its stage in the registry, and here to unpack it. */
export function baseImage(walk: Walk, ref: string): Promise<BaseImage> {
  let reading = walk.baseImages.get(ref);
  if (!reading) walk.baseImages.set(ref, (reading = background(readBaseImage(walk.opts, ref))));
  return reading;
}

/** The bytes of a base stack, to the first stage that waits for it; 0 to any other. */
function takeBytes(stack: BaseStack): number {
  if (stack.counted) return 0;
  stack.counted = true;
  return stack.bytes;
}

function newStacked(baseRef: string, dirs: string[], doc: ImageConfigDocument, load: () => Promise<number>): Stacked {
  let made: Promise<number> | undefined;
  const stacked: Stacked = {
    baseRef, dirs, doc, materialized: false,
    materialize() {
      if (made) return made.then(() => 0);
      made = load();
      return made.then((b) => ((stacked.materialized = true), b));
    },
  };
  return stacked;
}

/**
 * The stage's parent for a command stage that runs on it: stacked (then its base image is
 * in the engine), or an image in the engine. Bytes pulled to get it there, counted once.
 */
export async function parentOnEngine(walk: Walk, digest: string, ref: string): Promise<{ bytes: number; stacked?: Stacked }> {
  if (walk.inRegistry.has(digest) && !walk.stacked.has(digest)) stackOrPullEarly(walk, digest, ref);
  const arriving = walk.arriving.get(digest);
  if (arriving) await arriving.catch(() => undefined);
  const stacked = walk.stacked.get(digest);
  if (stacked && !stacked.materialized) return { bytes: arriving ? await firstToWait(walk.arriving, digest, arriving) : 0, stacked };
  return { bytes: await ensureLocal(walk, digest, ref) };
}

/**
 * Puts stage i, made as `doc` (plus `layer`, its new layer if any), where a later command
 * stage finds it: stacked when it can be (above), else loaded into the engine (loadMade).
 * Resolves to the bytes pulled to get what is below it there.
 */
export async function stackOrLoad(walk: Walk, image: ImagePlan, i: number, doc: ImageConfigDocument, layer: Layer | undefined): Promise<number> {
  const load = () => loadMade(walk, image, i, doc, layer);
  if (!(await stacksLayers(walk))) return load();
  const stage = image.stages[i];
  let bytes = 0;
  let baseRef: string;
  let below: string[] = [];
  const base = pulledBase(image, i);
  const stack = base ? await stackBase(walk, base) : undefined;
  if (base && stack) {
    // Its layers unpacked here: the engine never pulls the base.
    bytes = takeBytes(stack);
    baseRef = stack.baseRef;
    below = stack.dirs;
  } else if (base) {
    const pulling = walk.bases.get(base);
    bytes = pulling ? await firstToWait(walk.bases, base, pulling) : (await walk.opts.engine.inspectImage(base)) ? 0 : (await walk.opts.engine.pull(base)).bytes;
    baseRef = base;
  } else if (stage.parent) {
    const ref = image.stages.find((s) => s.digest === stage.parent)?.ref ?? stageRef(walk.plan.config.project, stage.parent);
    const on = await parentOnEngine(walk, stage.parent, ref);
    bytes = on.bytes;
    baseRef = on.stacked?.baseRef ?? ref;
    below = on.stacked?.dirs ?? [];
  } else return load();
  // A container of the image below shows its VOLUMEs, not the stage's: those must match.
  const under = await walk.opts.engine.inspectImage(baseRef);
  if (!under || !isDeepStrictEqual(under.config.config.Volumes ?? {}, doc.config.Volumes ?? {})) return bytes + (await load());
  let dirs = below;
  if (layer) {
    const dir = await unpackLayer(() => layer.open(), { parent: await stackDir(walk) });
    if (!dir) return bytes + (await load());
    dirs = [dir, ...below];
  }
  let loading: Promise<number> | undefined;
  const stacked = newStacked(baseRef, dirs, doc, () => (loading = loadMade(walk, image, i, doc, layer)));
  // A layer never loaded is disposed of with the build (loadMade disposes of one it loads).
  walk.cleanups.push(async () => void (loading ? await loading.catch(() => 0) : await layer?.dispose()));
  walk.stacked.set(stage.digest, stacked);
  return bytes;
}
