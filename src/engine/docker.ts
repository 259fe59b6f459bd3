import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { join } from "node:path";
import type Docker from "dockerode";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pack } from "tar-stream";
import { EngineError, UsageError } from "../errors.ts";
import { parseImageRef } from "../registry/ref.ts";
import type { CredentialSource } from "../registry/types.ts";
import { DEFAULT_RETRY, retry, type RetryPolicy } from "../util/retry.ts";
import { readDockerStream, type DockerStreamLine } from "./stream.ts";
import { DEFAULT_SOCKET, DockerApi, registryAuthHeader } from "./docker-api.ts";
import { configDigest, encodeConfig, normaliseRuntimeConfig } from "../image/config.ts";
import { overlayDirs, removeMountStubs } from "./stubs.ts";
import { runcUsable, runWithRunc, type ContainerInfo } from "./runc.ts";
import type { Engine, ImageConfigDocument, LayerSource, LocalImage, RunResult, RunSpec, StackedLayers } from "./types.ts";

export { normaliseRuntimeConfig };

/**
 * Bytes a pull downloaded, from the engine's progress lines: per layer, the largest
 * (compressed) download progress seen, counted only for layers whose pull completed
 * ("Already exists" costs 0).
 */
export function pulledBytes(lines: DockerStreamLine[]): number {
  const seen = new Map<string, number>();
  const finished = new Set<string>();
  for (const line of lines) {
    if (!line.id) continue;
    if (line.status === "Downloading") {
      const p = line.progressDetail ?? {};
      seen.set(line.id, Math.max(seen.get(line.id) ?? 0, p.total ?? 0, p.current ?? 0));
    } else if (line.status === "Pull complete") finished.add(line.id);
  }
  let bytes = 0;
  for (const id of finished) bytes += seen.get(id) ?? 0;
  return bytes;
}

/**
 * The engine's classifier for pulls and pushes: they are idempotent, and the engine gives
 * up on the first dropped connection or 5xx from a registry, so those are tried again.
 * Errors the engine answers with a 4xx (unknown image, denied) are final.
 */
export function isTransferRetryable(err: unknown): boolean {
  const status = statusOf(err);
  return !(status !== undefined && status >= 400 && status < 500);
}

/** Transfers under the shared retry policy, as many tries as slipway's own registry client. */
async function withTransferRetry<T>(policy: RetryPolicy, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await retry(policy, isTransferRetryable, fn);
  } catch (err) {
    throw err instanceof EngineError ? err : new EngineError(`${what}: ${(err as Error).message}`, statusOf(err), { cause: err });
  }
}

function statusOf(err: unknown): number | undefined {
  if (err instanceof EngineError) return err.statusCode;
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === "number" ? status : undefined;
}

/**
 * Who starts a command container: "runc" runs it with runc on dockerd's own layers when
 * it has no network and this machine allows it (./runc.ts), else dockerd; "engine": always dockerd.
 */
export type Executor = "runc" | "engine";

/** The executor named by SLIPWAY_EXECUTOR (default runc); anything else is a usage error. */
export function executorFrom(value: string | undefined): Executor {
  if (value === undefined || value === "" || value === "runc") return "runc";
  if (value === "engine") return "engine";
  throw new UsageError(`SLIPWAY_EXECUTOR must be "runc" or "engine", not "${value}"`);
}

/** The Engine port on a Docker engine through dockerode. */
export class DockerEngine implements Engine {
  #client?: Promise<Docker>;
  #api: DockerApi;
  #shares?: Promise<boolean>;
  /** Removals of containers left to finish while the build goes on (see settle). */
  #removing = new Set<Promise<void>>();
  #socketPath?: string;

  #credentials?: CredentialSource;
  #buildNetwork: string;
  #retry: RetryPolicy;
  #executor: Executor;
  /** How many command containers ran with runc and how many dockerd started (tests, reports). */
  readonly runs = { runc: 0, engine: 0 };

  /**
   * `buildNetwork` is the network of command containers that ask for one: the engine's
   * "bridge" by default, never the host's, so a build cannot reach the node's
   * instance metadata (IMDSv2 hop limit 1 stops containers behind a bridge).
   */
  constructor(opts: { socketPath?: string; credentials?: CredentialSource; buildNetwork?: string; retry?: RetryPolicy; executor?: Executor } = {}) {
    this.#socketPath = opts.socketPath;
    this.#api = new DockerApi(opts.socketPath ?? DEFAULT_SOCKET);
    this.#executor = opts.executor ?? "runc";
    this.#retry = opts.retry ?? DEFAULT_RETRY;
    this.#credentials = opts.credentials;
    this.#buildNetwork = opts.buildNetwork ?? "bridge";
  }

  /**
   * dockerode (and the gRPC and SSH stacks it loads), only to attach to a container dockerd
   * starts (a stage with a network); every other call is ./docker-api.ts's.
   */
  #docker(): Promise<Docker> {
    this.#client ??= import("dockerode").then(({ default: Docker }) => new Docker(this.#socketPath ? { socketPath: this.#socketPath } : undefined));
    return this.#client;
  }

  /** The engine gets registry credentials per request (X-Registry-Auth), from the same source as slipway's client. */
  async #authHeader(ref: string): Promise<Record<string, string>> {
    return { "X-Registry-Auth": registryAuthHeader(await this.#authFor(ref)) };
  }

  async #authFor(ref: string): Promise<Record<string, string>> {
    const host = parseImageRef(ref).registry;
    const credential = await this.#credentials?.get(host);
    if (!credential) return {};
    return "identityToken" in credential
      ? { identitytoken: credential.identityToken, serveraddress: host }
      : { username: credential.username, password: credential.password, serveraddress: host };
  }

  async inspectImage(ref: string): Promise<LocalImage | undefined> {
    try {
      const info = await this.#api.json<Docker.ImageInspectInfo>("GET", `/images/${ref}/json`);
      return {
        id: info.Id,
        repoDigests: info.RepoDigests ?? [],
        repoTags: info.RepoTags ?? [],
        config: {
          architecture: info.Architecture,
          os: info.Os,
          ...((info as { Variant?: string }).Variant ? { variant: (info as { Variant?: string }).Variant } : {}),
          ...(info.Author ? { author: info.Author } : {}),
          config: normaliseRuntimeConfig(info.Config as unknown as Record<string, unknown>),
          rootfs: { type: "layers", diff_ids: info.RootFS.Layers ?? [] },
        },
      };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw new EngineError(`inspecting image ${ref}: ${(err as Error).message}`, statusOf(err), { cause: err });
    }
  }

  async listImages(labels: Record<string, string>): Promise<LocalImage[]> {
    const filters = { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
    const list = await this.#api.json<{ Id: string }[]>("GET", "/images/json", { query: { filters: JSON.stringify(filters) } });
    const out: LocalImage[] = [];
    for (const summary of list) {
      const image = await this.inspectImage(summary.Id);
      if (image) out.push(image);
    }
    return out;
  }

  async pull(ref: string): Promise<{ bytes: number }> {
    return withTransferRetry(this.#retry, `pulling ${ref}`, async () => {
      const stream = await this.#api.stream("POST", "/images/create", { query: { fromImage: ref }, headers: await this.#authHeader(ref) });
      const lines = await readDockerStream(stream);
      return { bytes: pulledBytes(lines) };
    });
  }

  async push(ref: string): Promise<{ digest?: string; uploaded: string[] }> {
    return withTransferRetry(this.#retry, `pushing ${ref}`, async () => {
      const stream = await this.#api.stream("POST", `/images/${ref}/push`, { headers: await this.#authHeader(ref) });
      const lines = await readDockerStream(stream);
      const aux = lines.find((l) => l.aux && typeof l.aux.Digest === "string");
      // Push progress counts uncompressed bytes, so report which layers moved; the caller sizes them.
      const uploaded = [...new Set(lines.filter((l) => l.status === "Pushed" && l.id).map((l) => l.id as string))];
      return { digest: aux?.aux?.Digest as string | undefined, uploaded };
    });
  }

  async tag(image: string, ref: string): Promise<void> {
    const at = ref.lastIndexOf(":");
    const slash = ref.lastIndexOf("/");
    const [repo, tag] = at > slash ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, "latest"];
    await this.#api.call("POST", `/images/${image}/tag`, { query: { repo, tag } });
  }

  async removeImage(ref: string): Promise<void> {
    try {
      await this.#api.call("DELETE", `/images/${ref}`, { query: { noprune: false } });
    } catch (err) {
      if (statusOf(err) !== 404) throw new EngineError(`removing ${ref}: ${(err as Error).message}`, statusOf(err), { cause: err });
    }
  }

  /** Creates the run's container on `image`; `stacked`: with the stacked stage's runtime config (see RunSpec.stacked). */
  async #create(spec: RunSpec, image: string, stacked?: StackedLayers): Promise<string> {
    const env = stacked ? stackedEnv(stacked.config.Env ?? [], spec.env ?? []) : spec.env ?? [];
    // A stacked run's WORKDIR is runc's to enter (#runFast), not dockerd's to make: dockerd
    // would make it in the container's layer, over the stacked stage's own directory.
    // A stacked run's user: the stage's (empty is root); else root unless the image's is asked for.
    const user = spec.imageUser ? (stacked ? { User: stacked.config.User || "0:0" } : {}) : { User: "0:0" };
    const { Id: id } = await this.#api.json<{ Id: string }>("POST", "/containers/create", { body: {
      Image: image,
      Entrypoint: spec.argv ? spec.argv.slice(0, 1) : ["/bin/sh", "-c"],
      Cmd: spec.argv ? spec.argv.slice(1) : [spec.script],
      ...user,
      ...(env.length > 0 ? { Env: env } : {}),
      Tty: false,
      AttachStdout: true,
      AttachStderr: true,
      HostConfig: {
        NetworkMode: spec.network ? this.#buildNetwork : "none",
        Binds: spec.binds.map((b) => `${b.source}:${b.target}${b.readOnly ? ":ro" : ""}`),
      },
    } });
    return id;
  }

  #remove(id: string, background: boolean): Promise<void> {
    const removing = this.#api.call("DELETE", `/containers/${id}`, { query: { force: true, v: true } }).then(() => undefined, () => undefined);
    if (!background) return removing;
    this.#removing.add(removing);
    void removing.then(() => this.#removing.delete(removing));
    return Promise.resolve();
  }

  async runAndCommit(spec: RunSpec): Promise<RunResult> {
    let stacked = spec.stacked;
    let image = spec.image;
    // What only dockerd starts (a network, the engine executor) runs on the stage's image, loaded first.
    if (stacked && (this.#executor !== "runc" || spec.network)) [image, stacked] = [await stacked.materialize(), undefined];
    let id = await this.#create(spec, image, stacked);
    let background = false;
    try {
      // Its layers, made at create: what runc mounts, and where the run's changes are read.
      let info = await this.#api.json<ContainerInfo>("GET", `/containers/${id}/json`);
      let code = await this.#runFast(info, spec, stacked);
      if (code === undefined && stacked) {
        // runc could not run it as dockerd would (a user the image lacks, a missing WORKDIR):
        // dockerd starts it, on an image of the stacked stage, which it needs.
        image = await stacked.materialize();
        stacked = undefined;
        await this.#remove(id, false);
        id = await this.#create(spec, image);
        info = await this.#api.json<ContainerInfo>("GET", `/containers/${id}/json`);
      }
      const StatusCode = code ?? (await this.#start(id, spec));
      spec.onExited?.();
      if (StatusCode !== 0) return { exitCode: StatusCode };
      const stubbed = spec.binds.filter((b) => b.stub !== undefined).map((b) => b.target);
      const fileStubs = spec.binds.filter((b) => b.noFileStub && b.stub === undefined).map((b) => b.target);
      if (stubbed.length > 0 || fileStubs.length > 0) {
        // Secrets and the agent leave no mount point in the layer (src/engine/stubs.ts); on another storage driver they would.
        const found = overlayDirs(info.GraphDriver);
        // A stacked run's lower layers include the stacked ones: what exists there is no stub.
        const dirs = found && stacked ? { ...found, lowers: [...found.lowers, ...stacked.dirs] } : found;
        if (dirs) await removeMountStubs(dirs, stubbed);
        if (dirs) await removeMountStubs(dirs, fileStubs, { filesOnly: true });
      }
      const upper = info.GraphDriver?.Name === "overlay2" ? info.GraphDriver.Data?.UpperDir : undefined;
      if (spec.takeChanges && upper && (await spec.takeChanges(upper))) {
        // Nothing reads the container any more: it is removed while the build goes on.
        background = true;
        return { exitCode: 0, taken: true };
      }
      if (stacked) {
        // dockerd commits on the container's image, which lacks the stacked layers: the
        // changes move to a container of the stage's image, and that one is committed.
        image = await stacked.materialize();
        const onStage = await this.#create(spec, image);
        try {
          const target = (await this.#api.json<ContainerInfo>("GET", `/containers/${onStage}/json`)).GraphDriver?.Data?.UpperDir;
          if (!upper || !target) throw new EngineError("the changes of a run on stacked layers have no overlay2 directory to be committed from");
          await copyTree(upper, target);
          return await this.#commit(onStage, image);
        } finally {
          await this.#remove(onStage, false);
        }
      }
      return await this.#commit(id, image);
    } finally {
      await this.#remove(id, background);
    }
  }

  /** Commits the container (on `image`); the new layer's diff id, if the run changed a file. */
  async #commit(id: string, image: string): Promise<RunResult> {
    // The commit's image config is not used: the stage's config is written separately
    // (see loadImage), so nothing of this run's container config leaks into the image.
    const parentLayers = (await this.inspectImage(image))?.config.rootfs.diff_ids.length ?? 0;
    const { Id: committed } = await this.#api.json<{ Id: string }>("POST", "/commit", { query: { container: id, pause: false } });
    const layers = (await this.inspectImage(committed))?.config.rootfs.diff_ids ?? [];
    // A run that changed no file commits no layer (Docker drops empty layers, as werf
    // and `docker build` do): the committed image's top layer is then the parent's.
    const diffId = layers.length > parentLayers ? layers.at(-1) : undefined;
    // The committed image holds the new layer until the caller has loaded the stage image.
    return { exitCode: 0, diffId, committed };
  }

  stacksLayers(): Promise<boolean> {
    if (this.#executor !== "runc") return Promise.resolve(false);
    return Promise.all([runcUsable(), this.sharesChanges()]).then(([a, b]) => a && b, () => false);
  }

  async settle(): Promise<void> {
    while (this.#removing.size > 0) await Promise.all(this.#removing);
  }

  /** Runs the created container with runc on its own layers (./runc.ts); undefined when dockerd must start it. */
  async #runFast(info: ContainerInfo, spec: RunSpec, stacked?: StackedLayers): Promise<number | undefined> {
    if (this.#executor !== "runc" || spec.network) return undefined;
    const code = await runWithRunc({ info, binds: spec.binds, onOutput: spec.onOutput, stacked: stacked?.dirs, workingDir: stacked?.config.WorkingDir || undefined });
    if (code !== undefined) this.runs.runc++;
    return code;
  }

  async #start(id: string, spec: RunSpec): Promise<number> {
    const container = (await this.#docker()).getContainer(id);
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    try {
      const out = new PassThrough();
      out.on("data", (chunk: Buffer) => spec.onOutput?.(chunk));
      container.modem.demuxStream(stream, out, out);
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      this.runs.engine++;
      return StatusCode;
    } finally {
      (stream as unknown as Readable).destroy();
    }
  }

  async loadImage(config: ImageConfigDocument, newLayers: LayerSource[], tags: string[]): Promise<string> {
    const configJson = Buffer.from(encodeConfig(config));
    const archive = pack();
    const layerPaths = config.rootfs.diff_ids.map((diffId) => `${diffId.replace("sha256:", "")}/layer.tar`);
    const manifest = [{ Config: "config.json", RepoTags: tags, Layers: layerPaths }];
    // The archive is streamed to the engine while it is written: layers never sit whole in memory.
    const loading = this.#api.stream("POST", "/images/load", { query: { quiet: true }, body: archive, headers: { "content-type": "application/x-tar" } });
    loading.catch((err: Error) => archive.destroy(err)); // an engine that gave up stops the writer too
    const writing = (async () => {
      archive.entry({ name: "manifest.json", mtime: new Date(0) }, JSON.stringify(manifest));
      archive.entry({ name: "config.json", mtime: new Date(0) }, configJson);
      // Layers the engine already has are never read by `docker load` (it looks them up by
      // chain id first), so only new layers travel.
      for (const layer of newLayers) {
        const entry = archive.entry({ name: `${layer.diffId.replace("sha256:", "")}/layer.tar`, mtime: new Date(0), size: layer.size });
        await pipeline(layer.open(), entry as unknown as Writable);
      }
      archive.finalize();
    })().catch((err: Error) => {
      archive.destroy(err);
      throw err;
    });
    const [written, loaded] = await Promise.allSettled([writing, loading]);
    if (written.status === "rejected") {
      // An answer left unread would hold its socket, and the process, open.
      if (loaded.status === "fulfilled") loaded.value.destroy();
      throw written.reason;
    }
    if (loaded.status === "rejected") throw loaded.reason;
    await readDockerStream(loaded.value);
    return configDigest(config);
  }

  /** overlay2, and its storage readable here (same machine, enough rights): a job next to its engine. */
  sharesChanges(): Promise<boolean> {
    this.#shares ??= (async () => {
      const info = await this.#api.json<{ Driver?: string; DockerRootDir?: string }>("GET", "/info");
      if (info.Driver !== "overlay2" || !info.DockerRootDir) return false;
      return access(join(info.DockerRootDir, "overlay2"), constants.R_OK).then(() => true, () => false);
    })().catch(() => false);
    return this.#shares;
  }

  async layerDirs(ref: string): Promise<{ diffId: string; dir: string }[] | undefined> {
    if (!(await this.sharesChanges())) return undefined;
    const info = await this.#api.json<Docker.ImageInspectInfo>("GET", `/images/${ref}/json`).catch(() => undefined);
    const found = overlayDirs(info?.GraphDriver as ContainerInfo["GraphDriver"]);
    const diffIds = info?.RootFS?.Layers ?? [];
    if (!found) return undefined;
    // The upper directory is the top layer's, the lower ones those below it, top first.
    const dirs = [found.upper, ...found.lowers].reverse();
    if (dirs.length !== diffIds.length) return undefined;
    return dirs.map((dir, i) => ({ diffId: diffIds[i], dir }));
  }

  async readPath<T>(image: string, path: string, read: (tar: Readable) => Promise<T>): Promise<T | undefined> {
    const { Id: id } = await this.#api.json<{ Id: string }>("POST", "/containers/create", { body: { Image: image, Entrypoint: ["/nonexistent"], Cmd: [], HostConfig: { NetworkMode: "none" } } });
    try {
      let archive: Readable;
      try {
        archive = await this.#api.stream("GET", `/containers/${id}/archive`, { query: { path } });
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw new EngineError(`reading ${path} from ${image}: ${(err as Error).message}`, statusOf(err), { cause: err });
      }
      try {
        return await read(archive);
      } finally {
        archive.destroy();
      }
    } finally {
      await this.#api.call("DELETE", `/containers/${id}`, { query: { force: true } }).catch(() => undefined);
    }
  }
}

/**
 * The Env a stacked run's container is created with: the run's variables first, then the
 * stage's (as dockerd merges a container's Env with its image's); dockerd adds the
 * container image's, which a stage's never lacks (ENV only adds and replaces).
 */
export function stackedEnv(stage: string[], run: string[]): string[] {
  const keys = new Set(run.map((e) => e.split("=", 1)[0]));
  return [...run, ...stage.filter((e) => !keys.has(e.split("=", 1)[0]))];
}

/** Copies a directory tree (an overlay upper directory: owners, modes, times, xattrs, whiteout devices) into another. */
function copyTree(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const cp = spawn("cp", ["-a", `${from}/.`, `${to}/`], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    cp.stderr.on("data", (c: Buffer) => (err += c.toString()));
    cp.on("error", reject).on("close", (code) => (code === 0 ? resolve() : reject(new EngineError(`copying a run's changes: ${err.trim() || `cp exited ${code}`}`))));
  });
}
