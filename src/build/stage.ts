import type { ImageConfig } from "../config/types.ts";
import type { Engine, RunBind } from "../engine/types.ts";
import type { RuntimeConfig } from "../image/index.ts";
import type { Toolchain } from "../ansible/toolchain.ts";
import type { Worktree } from "./git.ts";
import type { RemoteTree } from "./git-remote.ts";
import type { Layer, Stat } from "./layer.ts";
import type { NamedInput } from "./digest.ts";
import type { OwnerResolver } from "./stages/owners.ts";
import type { SecretValue } from "./secrets/values.ts";

/**
 * Stage names are the config's words, plus documented names for file stages:
 * gitInstall / gitBeforeSetup / gitSetup carry the files a user stage depends on,
 * gitLatest the rest (strict view); in werf's view gitArchive carries every mapped file
 * and gitLatest the patch to the current files; importsBeforeInstall ... importsAfterSetup
 * carry imports.
 */
export type StageName =
  | "from"
  | "beforeInstall" | "install" | "beforeSetup" | "setup"
  | "importsBeforeInstall" | "importsAfterInstall" | "importsBeforeSetup" | "importsAfterSetup"
  | "gitArchive" | "gitInstall" | "gitBeforeSetup" | "gitSetup" | "gitLatest"
  | "dockerInstructions" | "imageSpec"
  /** Dockerfile stages are named by instruction: `RUN#2 cat deps.txt ...` (src/dockerfile). */
  | `${string}#${number}${string}`;

/**
 * Builds a layer against the parent stage: `parentLabels` are the parent image's config
 * labels (werf-view git patches read which files it holds). Undefined: no layer to add.
 * `config` is the parent's runtime config (a Dockerfile COPY to a relative path needs its
 * WORKDIR); `stat` describes a path of the parent's filesystem (the engine looks; in the
 * registry the parent's layer indexes answer, see ./layer-index.ts).
 */
export type LayerBuilder = (
  owners: OwnerResolver, parentLabels: Record<string, string>, config?: RuntimeConfig, stat?: Stat,
) => Promise<Layer | undefined>;

/** What a stage does to its parent image. Executors (local engine, registry) realise it. */
export type StageChange =
  /** Start from an image: `ref` is pinned (name@sha256:...) or a local stage image. */
  /** `indexFiles`: in the registry, index the base's layers now (a Dockerfile's file stages look at its files; see ./layer-index.ts). */
  | { kind: "base"; ref: string; local: boolean; indexFiles?: boolean }
  /** Run commands in a container made from the parent (the only change that needs one). */
  /** A bind with source "" is a fresh temporary directory (mount from tmp_dir). */
  /** `patch`: a layer applied before the commands run (werf's git patch of a user stage). */
  /** `env`: build-time variables (werf dependencies), given how stages are named where they are kept. */
  /** `argv` replaces `/bin/sh -c script` (Dockerfile exec form, SHELL); `imageUser` runs as the image's USER, not root. */
  | {
    kind: "run"; script: string; network: boolean; binds: RunBind[]; patch?: LayerBuilder;
    env?: (stageName: (digest: string) => string) => string[];
    argv?: string[]; imageUser?: boolean;
    /** `NAME=value` of secrets given to the commands as variables (RUN --mount=type=secret,env=): in no config or report. */
    secretEnv?: () => string[];
    /** Names what failed from the run's output (an ansible stage: the failed task and its config line). */
    describeFailure?: (output: string) => string | undefined;
  }
  /** Add a deterministic layer built in Node; `apply`: the config change that comes with it (Dockerfile WORKDIR). */
  | { kind: "files"; layer: LayerBuilder; apply?: (config: RuntimeConfig) => RuntimeConfig }
  /** Change only the image config. */
  | { kind: "config"; apply: (config: RuntimeConfig) => RuntimeConfig };

/** Everything a stage may read while planning or building: computed once per project. */
export interface StageContext {
  project: string;
  image: ImageConfig;
  worktree?: Worktree;
  /** Trees of remote git mappings, by remoteKey (URL and revision). */
  remotes?: ReadonlyMap<string, RemoteTree>;
  engine: Engine;
  /**
   * Digest and local stage ref of another image of the config, by name: its last
   * stage, or with `stage`, the last of its stages up to that conveyor stage.
   */
  imageResult(name: string, stage?: string): { digest: string; ref: string } | undefined;
  /** Registry digest of a `from` base image. */
  baseDigest(ref: string): string | undefined;
  /** Directory on the node for build_dir mounts. */
  buildDir: string;
  /** The image's build secrets by id, read at the edge (src/build/secrets/values.ts). */
  secrets?: ReadonlyMap<string, SecretValue>;
  /** The ssh agent's socket when the build forwards one (`--ssh default`). */
  sshSocket?: string;
  /** The node's Ansible toolchain, prepared when an image of the plan has ansible tasks. */
  ansibleToolchain?: Toolchain;
}

/** One stage kind: its named inputs for the digest, and how it changes its parent. */
export interface Stage {
  readonly name: StageName;
  /** The digest's `kind` component: the same for every stage of one module. */
  readonly kind: string;
  /** An empty stage is skipped: it would not change the image. */
  isEmpty(): boolean;
  inputs(): NamedInput[];
  change(): StageChange;
  /** Digests of stages of other images this stage is built from (fromImage base, import sources). */
  needs?(): string[];
  /** The image config's `author` from this stage on (werf imageSpec.author). */
  author?(): string | undefined;
  /** werf view: the mapped git files the stage image holds afterwards (label slipway.git-files). */
  gitFiles?(): string;
  /** Starts a new chain (a Dockerfile FROM): its digest has no parent. */
  readonly root?: boolean;
  /** Its layer reads the filesystems of the stages in needs() through the engine (imports, COPY --from). */
  readonly readsNeeds?: boolean;
  /** Where the stage is written (`Dockerfile:3`), for reports. */
  readonly source?: string;
}
