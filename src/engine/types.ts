import type { Readable } from "node:stream";
import type { ImageConfigDocument, RuntimeConfig } from "../image/config.ts";

/** The port speaks the image data module's types (src/image). */
export type { ImageConfigDocument, RuntimeConfig } from "../image/config.ts";

export interface LocalImage {
  /** sha256:... image id (digest of the config document). */
  id: string;
  config: ImageConfigDocument;
  repoDigests: string[];
  repoTags: string[];
}

export interface RunSpec {
  image: string;
  script: string;
  network: boolean;
  /** Host path -> container path bind mounts. */
  binds: RunBind[];
  /** Build-time variables for the commands (`NAME=value`); never part of any image config. */
  env?: string[];
  onOutput?: (chunk: Buffer) => void;
  /** Run this argv instead of `/bin/sh -c script` (Dockerfile exec form and SHELL). */
  argv?: string[];
  /** Run as the image's USER instead of root (Dockerfile RUN after USER). */
  imageUser?: boolean;
  /** Called when the commands have exited, before the commit (phase timings). */
  onExited?: () => void;
  /**
   * Offered the container's changed files after a successful run: the directory of its
   * upper layer (overlay2), when the engine keeps one on this machine. Resolving to true
   * means the caller made the layer from it: the engine commits nothing (RunResult.taken).
   */
  takeChanges?: (upperDir: string) => Promise<boolean>;
  /** Layers slipway holds over `image`, see StackedLayers (only where Engine.stacksLayers says so). */
  stacked?: StackedLayers;
}

/**
 * A stage the engine has no image of: `image`'s layers with `dirs` on top, layer
 * directories in overlay's format (top first) that slipway unpacked, with the stage's
 * own runtime `config` (its Env, WorkingDir and User are the run's). A run on it mounts
 * them between the container's own layers and the image's, so no image is loaded for a
 * stage that only a later command reads. When the run cannot go that way (dockerd must
 * start it, or commit it), `materialize` loads the stage as an image and answers its ref.
 */
export interface StackedLayers {
  dirs: string[];
  config: RuntimeConfig;
  materialize: () => Promise<string>;
}

export interface RunResult {
  exitCode: number;
  /**
   * diff id (sha256:...) of the layer the run produced; absent when the run failed or
   * changed no file (then the stage is its parent's layers with a new config).
   */
  diffId?: string;
  /** Temporary image holding the new layer; remove it once an image that uses the layer exists. */
  committed?: string;
  /** The caller took the changes (RunSpec.takeChanges): no commit, no diffId. */
  taken?: boolean;
}

/** A new layer to add when loading an image; omitted layers must already exist in the engine. */
export interface LayerSource {
  diffId: string;
  /** Size of the uncompressed tar. */
  size: number;
  /** Streams the uncompressed tar (layers can be larger than memory). */
  open(): Readable;
}

/** The container engine port: what the builder needs from Docker, and nothing vendor-typed. */
export interface Engine {
  inspectImage(ref: string): Promise<LocalImage | undefined>;
  /** Images whose labels match all given label=value pairs. */
  listImages(labels: Record<string, string>): Promise<LocalImage[]>;
  /** Pulls an image; `bytes` is what the engine downloaded (layers it already had cost nothing). */
  pull(ref: string): Promise<{ bytes: number }>;
  /**
   * Pushes an image. `uploaded` lists the short ids (12 hex digits of the diff id) of
   * the layers the engine uploaded; existing and mounted layers are not in it.
   */
  push(ref: string): Promise<{ digest?: string; uploaded: string[] }>;
  tag(image: string, ref: string): Promise<void>;
  removeImage(ref: string): Promise<void>;
  /** Runs a script in a container from `image`; on success commits it and returns the new layer's diff id. */
  runAndCommit(spec: RunSpec): Promise<RunResult>;
  /** Loads an image made of existing layers plus `newLayers`, with exactly `config`; tags it. Returns the image id. */
  loadImage(config: ImageConfigDocument, newLayers: LayerSource[], tags: string[]): Promise<string>;
  /**
   * Reads a path from an image's filesystem as a tar stream (no container is started)
   * and hands it to `read`; undefined when the path does not exist. The stream is
   * only valid inside `read`, so nothing has to hold it whole in memory.
   */
  readPath<T>(image: string, path: string, read: (tar: Readable) => Promise<T>): Promise<T | undefined>;
  /**
   * Optional: whether runs can offer their changed files to this process
   * (RunSpec.takeChanges): an overlay2 engine whose storage this process can read.
   */
  sharesChanges?(): Promise<boolean>;
  /**
   * Optional: resolves once the clean-up runs left under way is done (a container whose
   * changes were taken is removed while the build goes on). Never rejects.
   */
  settle?(): Promise<void>;
  /** Optional: whether runs take RunSpec.stacked (runc on this machine, on storage this process reads). */
  stacksLayers?(): Promise<boolean>;
  /**
   * Optional: the directories the engine unpacked an image's layers into (overlay2's,
   * readable here), bottom first, with the diff id of each; undefined when there are none
   * to read (another storage driver, another machine, no such image).
   */
  layerDirs?(ref: string): Promise<{ diffId: string; dir: string }[] | undefined>;
}

/**
 * A directory mounted into a RUN container. An empty source is a fresh temporary
 * directory (removed afterwards), which `fill` prepares before the run; when `fill`
 * returns a path (a file in it), that path is mounted instead. `readOnly` mounts it read-only.
 */
export interface RunBind {
  source: string;
  target: string;
  readOnly?: boolean;
  fill?: (dir: string) => Promise<string | undefined | void>;
  /**
   * The target must not stay in the committed layer (secrets, the ssh agent): the
   * builder provides it, a `file` or a `directory`, in a layer the stage does not keep.
   */
  stub?: "file" | "directory";
  /**
   * A file bound here leaves no empty file at the target (Dockerfile binds, as the
   * engine's BuildKit removes a file mount's stub); directories made for it stay.
   */
  noFileStub?: boolean;
  /** Called after the run, on every path (stops what `fill` started, e.g. an agent proxy). */
  release?: () => Promise<void>;
  /**
   * The directory is the dependency cache with this id (werf build_dir, Dockerfile
   * cache mount): with a registry, the builder restores it before the run and saves it
   * after (src/cache/). The engine mounts it like any other directory.
   */
  cache?: string;
}
