import { createHash, randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { Readable as NodeReadable } from "node:stream";
import { buildLayer, layerBytes } from "../build/layer.ts";
import { EngineError } from "../errors.ts";
import type { Registry } from "../registry/types.ts";
import { encodeConfig, normaliseRuntimeConfig, parseConfig } from "../image/config.ts";
import { appendDiffId } from "../image/mutate.ts";
import { MemoryFs } from "./memory-fs.ts";
import { runArgv, runScript, type ShellIo } from "./memory-shell.ts";
import { pullImage, pushImage, type TransferStore } from "./memory-transfer.ts";
import type { Engine, ImageConfigDocument, LayerSource, LocalImage, RunResult, RunSpec } from "./types.ts";

interface StoredImage {
  id: string;
  /** The config bytes as loaded or pulled: the id is their digest, a push sends them as they are. */
  raw: Buffer;
  doc: ImageConfigDocument;
  repoDigests: Set<string>;
}

const sha256 = (data: Uint8Array) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

/** `name` means `name:latest`, as the engine reads a reference without a tag. */
function tagged(ref: string): string {
  const slash = ref.lastIndexOf("/");
  return ref.lastIndexOf(":") > slash || ref.includes("@") ? ref : `${ref}:latest`;
}

export interface MemoryEngineOptions {
  /**
   * The registry client the engine pulls from and pushes to, per host (the engine's own
   * connection: give it a client other than the build's, so byte counters stay apart).
   */
  registryFor?: (host: string) => Registry | undefined;
}

/**
 * The Engine port in memory: images, tags and layers (uncompressed tars) in maps, pulls
 * and pushes through a Registry port, and runs in the command model of ./memory-shell.ts.
 * It lives in src/, beside MemoryRegistry, so unit tests and the bench can build whole
 * projects without a Docker engine; it passes the same contract suite as DockerEngine.
 * Like Docker it keeps layers only while an image uses them, and drops empty layers.
 */
export class MemoryEngine implements Engine {
  readonly #images = new Map<string, StoredImage>();
  readonly #tags = new Map<string, string>();
  readonly #layers = new Map<string, Buffer>();
  readonly #registryFor: (host: string) => Registry | undefined;
  /** Containers run so far (tests assert on it as on a real engine's event count). */
  containersRun = 0;

  constructor(opts: MemoryEngineOptions = {}) {
    this.#registryFor = opts.registryFor ?? (() => undefined);
  }

  #resolve(ref: string): StoredImage | undefined {
    if (ref.startsWith("sha256:")) return this.#images.get(ref);
    if (/^[0-9a-f]{12,64}$/.test(ref)) return [...this.#images.values()].find((i) => i.id.startsWith(`sha256:${ref}`));
    if (ref.includes("@")) return [...this.#images.values()].find((i) => i.repoDigests.has(ref));
    const id = this.#tags.get(tagged(ref));
    return id ? this.#images.get(id) : undefined;
  }

  #view(image: StoredImage): LocalImage {
    const d = image.doc;
    return {
      id: image.id,
      repoDigests: [...image.repoDigests],
      repoTags: [...this.#tags].filter(([, id]) => id === image.id).map(([t]) => t),
      config: {
        architecture: d.architecture,
        os: d.os,
        ...(d.variant ? { variant: d.variant } : {}),
        ...(d.author ? { author: d.author } : {}),
        config: normaliseRuntimeConfig(d.config as unknown as Record<string, unknown>),
        rootfs: { type: "layers", diff_ids: [...d.rootfs.diff_ids] },
      },
    };
  }

  #add(raw: Buffer, tags: string[]): string {
    const id = sha256(raw);
    const doc = parseConfig(raw);
    const missing = doc.rootfs.diff_ids.find((d) => !this.#layers.has(d));
    if (missing) throw new EngineError(`loading image: layer ${missing} is not in the engine and not in the archive`, 500);
    if (!this.#images.has(id)) this.#images.set(id, { id, raw, doc, repoDigests: new Set() });
    for (const t of tags) this.#tags.set(tagged(t), id);
    return id;
  }

  async inspectImage(ref: string): Promise<LocalImage | undefined> {
    const image = this.#resolve(ref);
    return image && this.#view(image);
  }

  async listImages(labels: Record<string, string>): Promise<LocalImage[]> {
    const match = (i: StoredImage) => Object.entries(labels).every(([k, v]) => i.doc.config.Labels?.[k] === v);
    return [...this.#images.values()].filter(match).map((i) => this.#view(i));
  }

  #store(): TransferStore {
    return {
      hasLayer: (d) => this.#layers.has(d),
      layer: (d) => this.#layers.get(d),
      addLayer: (d, tar) => void this.#layers.set(d, tar),
      addImage: (raw, tag, repoDigest) => {
        const id = this.#add(raw, tag ? [tag] : []);
        this.#images.get(id)!.repoDigests.add(repoDigest);
        return id;
      },
      image: (ref) => this.#resolve(ref),
      addRepoDigest: (ref, rd) => void this.#resolve(ref)?.repoDigests.add(rd),
    };
  }

  pull(ref: string): Promise<{ bytes: number }> {
    return pullImage(this.#store(), this.#registryFor, ref);
  }

  push(ref: string): Promise<{ digest?: string; uploaded: string[] }> {
    return pushImage(this.#store(), this.#registryFor, ref);
  }

  async tag(image: string, ref: string): Promise<void> {
    const found = this.#resolve(image);
    if (!found) throw new EngineError(`tagging ${image}: no such image`, 404);
    this.#tags.set(tagged(ref), found.id);
  }

  async removeImage(ref: string): Promise<void> {
    const image = this.#resolve(ref);
    if (!image) return;
    const tags = [...this.#tags].filter(([, id]) => id === image.id).map(([t]) => t);
    const byTag = this.#tags.get(tagged(ref)) === image.id;
    if (byTag && tags.length > 1) return void this.#tags.delete(tagged(ref));
    if (!byTag && tags.length > 1) throw new EngineError(`removing ${ref}: image is referenced in multiple repositories`, 409);
    for (const t of tags) this.#tags.delete(t);
    this.#images.delete(image.id);
    const used = new Set([...this.#images.values()].flatMap((i) => i.doc.rootfs.diff_ids));
    for (const d of [...this.#layers.keys()]) if (!used.has(d)) this.#layers.delete(d);
  }

  async #fs(image: StoredImage): Promise<MemoryFs> {
    return MemoryFs.fromLayers(image.doc.rootfs.diff_ids.map((d) => this.#layers.get(d) as Buffer));
  }

  async runAndCommit(spec: RunSpec): Promise<RunResult> {
    const image = this.#resolve(spec.image);
    if (!image) throw new EngineError(`running in ${spec.image}: no such image`, 404);
    const fs = await this.#fs(image);
    const program = spec.argv?.[0] ?? "/bin/sh";
    if (!fs.get(program)) throw new EngineError(`running in ${spec.image}: exec: "${program}": no such file or directory`, 400);
    this.containersRun++;
    const io = this.#io(fs, image.doc, spec);
    const exitCode = spec.argv ? await runArgv(spec.argv, io) : await runScript(spec.script, io);
    spec.onExited?.();
    if (exitCode !== 0) return { exitCode };
    const changes = fs.changes();
    let diffId: string | undefined;
    if (changes.length > 0) {
      const layer = await buildLayer(changes);
      const tar = await layerBytes(layer).finally(() => layer.dispose());
      diffId = layer.diffId;
      this.#layers.set(diffId, tar);
    }
    // As Docker's commit, the committed config names its container: it is never another image's.
    const doc = { ...(diffId ? appendDiffId(image.doc, diffId) : image.doc), container: randomBytes(32).toString("hex") };
    return { exitCode: 0, diffId, committed: this.#add(Buffer.from(encodeConfig(doc)), []) };
  }

  #io(fs: MemoryFs, doc: ImageConfigDocument, spec: RunSpec): ShellIo {
    const env = new Map<string, string>();
    for (const e of [...(doc.config.Env ?? []), ...(spec.env ?? [])]) env.set(e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1));
    const [uid, gid] = spec.imageUser ? userIds(fs, doc.config.User) : [0, 0];
    return { fs, env, cwd: doc.config.WorkingDir || "/", uid, gid, binds: spec.binds, out: (t) => spec.onOutput?.(Buffer.from(t)) };
  }

  async loadImage(config: ImageConfigDocument, newLayers: LayerSource[], tags: string[]): Promise<string> {
    for (const layer of newLayers) {
      const chunks: Buffer[] = [];
      for await (const c of layer.open()) chunks.push(c as Buffer);
      const tar = Buffer.concat(chunks);
      if (sha256(tar) !== layer.diffId) throw new EngineError(`loading image: layer does not match its diff id ${layer.diffId}`, 500);
      if (config.rootfs.diff_ids.includes(layer.diffId)) this.#layers.set(layer.diffId, tar);
    }
    return this.#add(Buffer.from(encodeConfig(config)), tags);
  }

  async readPath<T>(image: string, path: string, read: (tar: Readable) => Promise<T>): Promise<T | undefined> {
    const found = this.#resolve(image);
    if (!found) throw new EngineError(`reading ${path} from ${image}: no such image`, 404);
    const tar = await (await this.#fs(found)).archive(path);
    return tar === undefined ? undefined : read(NodeReadable.from([tar]));
  }
}

/** USER as uid and gid: numbers as they are, names from the image's /etc/passwd. */
function userIds(fs: MemoryFs, user: string | undefined): [number, number] {
  if (!user) return [0, 0];
  const [name, group] = user.split(":");
  const passwd = fs.get("/etc/passwd");
  const line = passwd?.type === "file" ? passwd.content.toString("utf8").split("\n").find((l) => l.split(":")[0] === name) : undefined;
  const uid = /^\d+$/.test(name) ? Number(name) : Number(line?.split(":")[2] ?? 0);
  const gid = group !== undefined && /^\d+$/.test(group) ? Number(group) : Number(line?.split(":")[3] ?? uid);
  return [uid, gid];
}
