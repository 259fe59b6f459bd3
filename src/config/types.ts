/**
 * The validated project configuration: what slipway.yaml / werf.yaml / dappfile.yml
 * mean, independent of which file shape they came from. Parsed once at the edge
 * (src/config/load.ts) and passed down.
 */

import type { DockerfileBuild } from "../dockerfile/types.ts";
import type { DockerfileImageSpec } from "../dockerfile/werf.ts";
import type { SecretConfig } from "./secrets.ts";

/** Where a value came from, for error messages and rebuild explanations. */
export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
}

export type UserStageName = "beforeInstall" | "install" | "beforeSetup" | "setup";
export const USER_STAGES: readonly UserStageName[] = ["beforeInstall", "install", "beforeSetup", "setup"];

export interface GitMapping {
  /** Path inside the repository to take files from ("/" = repository root). Normalised: leading "/", no trailing "/". */
  add: string;
  /** Absolute destination path inside the image. */
  to: string;
  /** Glob patterns relative to `add`; empty = everything. */
  includePaths: string[];
  excludePaths: string[];
  owner?: string;
  group?: string;
  /** Per user stage, globs relative to `add`: a change to matching files rebuilds that stage. */
  stageDependencies: Partial<Record<UserStageName, string[]>>;
  /** A remote repository (werf `url:`), fetched by the builder; absent = the project's repository. */
  url?: string;
  /** The revision of `url`: commit, else tag, else branch, else the remote's HEAD (werf's order). */
  branch?: string;
  tag?: string;
  commit?: string;
  location: SourceLocation;
}

export interface ShellConfig {
  beforeInstall: string[];
  install: string[];
  beforeSetup: string[];
  setup: string[];
  /** Applies to every user stage. */
  cacheVersion?: string;
  /** `<stage>CacheVersion` keys. */
  stageCacheVersions: Partial<Record<UserStageName, string>>;
}

/** One Ansible task as written (after template rendering), with the module it runs. */
export interface AnsibleTask {
  task: Record<string, unknown>;
  /** The short module name (`copy` for `ansible.builtin.copy`); "block" for block/rescue/always. */
  module: string;
  location: SourceLocation;
}

export interface AnsibleConfig {
  beforeInstall: AnsibleTask[];
  install: AnsibleTask[];
  beforeSetup: AnsibleTask[];
  setup: AnsibleTask[];
  cacheVersion?: string;
  stageCacheVersions: Partial<Record<UserStageName, string>>;
}

export interface HealthcheckConfig {
  test: string[];
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  retries?: number;
}

export interface DockerInstructions {
  user?: string;
  workdir?: string;
  volume: string[];
  /** Ordered as written. */
  env: Record<string, string>;
  label: Record<string, string>;
  /** e.g. "8080/tcp", "53/udp"; a bare number means tcp. */
  expose: string[];
  /** Exec form; a string in the config becomes ["/bin/sh", "-c", string] like Dockerfile shell form. */
  entrypoint?: string[];
  cmd?: string[];
  healthcheck?: HealthcheckConfig;
}

/**
 * werf v2 `imageSpec:`, applied last, with werf's semantics: `remove*` entries are exact
 * names or `/regex/`; label keys and values may use %project% and %image%; env values
 * expand $VAR from the image's env; `expose` replaces the exposed ports.
 */
export interface ImageSpec {
  author?: string;
  clearHistory: boolean;
  clear: { cmd: boolean; entrypoint: boolean; user: boolean; workingDir: boolean };
  removeLabels: string[];
  removeVolumes: string[];
  removeEnv: string[];
  volumes: string[];
  labels: Record<string, string>;
  env: Record<string, string>;
  expose?: string[];
  user?: string;
  cmd?: string[];
  entrypoint?: string[];
  workingDir?: string;
  stopSignal?: string;
  /** Durations in seconds, as werf's imageSpec takes them. */
  healthcheck?: { test: string[]; interval?: number; timeout?: number; startPeriod?: number; retries?: number };
}

export type ImportStageHook = "beforeInstall" | "afterInstall" | "beforeSetup" | "afterSetup";

export interface ImportConfig {
  /**
   * Name of the image or artifact to import from (`image:`, `from:` or `artifact:` key), or,
   * for `external`, an image reference with a tag or digest (werf: `from: alpine:3.18`).
   */
  from: string;
  fromKind: "image" | "artifact" | "external";
  add: string;
  to: string;
  includePaths: string[];
  excludePaths: string[];
  owner?: string;
  group?: string;
  /** `before: install` => beforeInstall, `after: setup` => afterSetup, ... Default: afterSetup for images... see loader. */
  stage: ImportStageHook;
  /** werf's import `stage:` (e.g. "install"): import from that stage of the source instead of its last. Absent = the finished image. */
  sourceStage?: string;
  location: SourceLocation;
}

/** werf `dependencies:` import types slipway supports (ImageID and ImageDigest are refused). */
export type DependencyValue = "ImageName" | "ImageRepo" | "ImageTag";

/**
 * werf `dependencies:` of a stapel image: another image's name, repository or tag, given
 * to the commands of the user stages after the hook as build-time env (never written
 * into the image config). The other image's last stage digest enters their digests.
 */
export interface DependencyConfig {
  image: string;
  stage: ImportStageHook;
  env: { name: string; type: DependencyValue }[];
  location: SourceLocation;
}

export interface MountConfig {
  to: string;
  /** tmp_dir: a fresh empty dir per build; build_dir: kept on the node between builds; path: the host path in `fromPath`. */
  from: "tmp_dir" | "build_dir" | "path";
  fromPath?: string;
  location: SourceLocation;
}

export interface ImageConfig {
  /** Image name; "" for the nameless image. */
  name: string;
  kind: "image" | "artifact";
  /** Base image reference (`from:`), mutually exclusive with fromImage/fromArtifact. */
  from?: string;
  /** Another image or artifact of this config to build on. */
  fromImage?: string;
  fromArtifact?: string;
  fromCacheVersion?: string;
  git: GitMapping[];
  shell: ShellConfig;
  /** `ansible:` instead of `shell:` (werf: one builder per image). */
  ansible?: AnsibleConfig;
  docker: DockerInstructions;
  imageSpec?: ImageSpec;
  imports: ImportConfig[];
  dependencies: DependencyConfig[];
  mounts: MountConfig[];
  /** Commands run with network mode none unless the config asks for the network. */
  network: boolean;
  /** Build secrets (werf `secrets:`): mounted at /run/secrets/<id> for the commands that see them, in no digest unless rebuildOnChange. */
  secrets?: SecretConfig[];
  /**
   * What a user stage's commands see of the mapped git files. `werf`: every mapped file,
   * current (werf's gitArchive + patches); `strict`: only the files its stageDependencies
   * (or an earlier stage's) list. stageDependencies decide rebuilds either way.
   */
  gitVisibility: "werf" | "strict";
  location: SourceLocation;
  /** A Dockerfile image: its stages come from the resolved Dockerfile, not from the fields above. */
  dockerfile?: DockerfileBuild;
  /** A `dockerfile:` image of a config file, before its Dockerfile is read (src/dockerfile/werf.ts). */
  dockerfileSpec?: DockerfileImageSpec;
}

export interface ProjectConfig {
  project: string;
  configVersion: number;
  /** Absolute path of the file the config was read from. */
  file: string;
  /** Absolute path of the project directory (the git working tree root the config refers to). */
  dir: string;
  images: ImageConfig[];
  /** Free-form sections other issues read (e.g. cleanup.keepPolicies); validated by their owners. */
  cleanup?: unknown;
}
