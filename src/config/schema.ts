/**
 * zod schemas for the raw documents of slipway.yaml / werf.yaml (configVersion 1,
 * stapel images) / dappfile.yml. They check shape only; cross-field rules (exactly one
 * `from*`, known references, cycles) live in normalize.ts and graph.ts where the
 * message can name the field and its position.
 *
 * Every object is strict, so an unknown key is an error; null (`key:` with no value)
 * counts as absent, like werf's Go YAML decoding.
 */
import * as z from "zod";
import { secretSchema } from "./secrets.ts";

// A config is parsed once per process: zod's JIT (it generates and compiles a parser for an
// object schema on its first parse) costs more than it saves.
z.config({ jitless: true });

/** A scalar read as a string: werf's Go decoder accepts `fromCacheVersion: 2` for a string field. */
export const str = z
  .union([z.string(), z.number(), z.boolean()], { error: "expected a string" })
  .transform(String);

/** `x` or `[x, y]`; werf accepts both for command lists, paths, VOLUME, EXPOSE. */
export const strings = z
  .union([str, z.array(str)], { error: "expected a string or a list of strings" })
  .transform((v) => (Array.isArray(v) ? v : [v]));

const strMap = z.record(z.string(), str.nullish().transform((v) => v ?? ""), {
  error: "expected a map of NAME: value",
});

const stageDeps = z.strictObject({
  beforeInstall: strings.nullish(),
  install: strings.nullish(),
  beforeSetup: strings.nullish(),
  setup: strings.nullish(),
});

export const gitSchema = z.strictObject({
  add: str.nullish(),
  to: str.nullish(),
  includePaths: strings.nullish(),
  excludePaths: strings.nullish(),
  owner: str.nullish(),
  group: str.nullish(),
  stageDependencies: stageDeps.nullish(),
  /** dapp's name for helm values; harmless, ignored. */
  as: str.nullish(),
  /** A remote repository and its revision (werf). */
  url: str.nullish(),
  branch: str.nullish(),
  tag: str.nullish(),
  commit: str.nullish(),
  /** werf 1.1's acknowledgement for a branch revision; accepted, no effect. */
  herebyIAdmitThatBranchMightBreakReproducibility: z.boolean({ error: "expected true or false" }).nullish(),
});

export const shellSchema = z.strictObject({
  beforeInstall: strings.nullish(),
  install: strings.nullish(),
  beforeSetup: strings.nullish(),
  setup: strings.nullish(),
  cacheVersion: str.nullish(),
  beforeInstallCacheVersion: str.nullish(),
  installCacheVersion: str.nullish(),
  beforeSetupCacheVersion: str.nullish(),
  setupCacheVersion: str.nullish(),
});

/** Ansible tasks are Ansible's business: kept as written, their modules checked in config/ansible.ts. */
const ansibleTasks = z.array(z.record(z.string(), z.unknown(), { error: "expected an ansible task (a map)" }), {
  error: "expected a list of ansible tasks",
});

export const ansibleSchema = z.strictObject({
  beforeInstall: ansibleTasks.nullish(),
  install: ansibleTasks.nullish(),
  beforeSetup: ansibleTasks.nullish(),
  setup: ansibleTasks.nullish(),
  cacheVersion: str.nullish(),
  beforeInstallCacheVersion: str.nullish(),
  installCacheVersion: str.nullish(),
  beforeSetupCacheVersion: str.nullish(),
  setupCacheVersion: str.nullish(),
});

const healthcheckMap = z.strictObject({
  test: strings,
  interval: str.nullish(),
  timeout: str.nullish(),
  startPeriod: str.nullish(),
  retries: z.number().int().nonnegative().nullish(),
});

export const dockerSchema = z.strictObject({
  USER: str.nullish(),
  WORKDIR: str.nullish(),
  VOLUME: strings.nullish(),
  ENV: strMap.nullish(),
  LABEL: strMap.nullish(),
  EXPOSE: strings.nullish(),
  ENTRYPOINT: strings.nullish(),
  CMD: strings.nullish(),
  HEALTHCHECK: z.union([z.string(), healthcheckMap], { error: "expected a Dockerfile HEALTHCHECK string or a map" }).nullish(),
});

const hookTarget = z.enum(["install", "setup"], { error: "expected install or setup" });

export const importSchema = z.strictObject({
  image: str.nullish(),
  /** werf v2's name for `image:`; a reference with a tag or digest is an external image. */
  from: str.nullish(),
  artifact: str.nullish(),
  add: str.nullish(),
  to: str.nullish(),
  includePaths: strings.nullish(),
  excludePaths: strings.nullish(),
  owner: str.nullish(),
  group: str.nullish(),
  before: hookTarget.nullish(),
  after: hookTarget.nullish(),
  /** werf >= 1.1.8: import from a given stage of the source image. */
  stage: str.nullish(),
});

export const dependencySchema = z.strictObject({
  image: str.nullish(),
  /** werf v2's name for `image:`. */
  from: str.nullish(),
  before: hookTarget.nullish(),
  after: hookTarget.nullish(),
  imports: z.array(z.strictObject({
    type: z.enum(["ImageName", "ImageRepo", "ImageTag", "ImageID", "ImageDigest"], { error: "expected ImageName, ImageRepo, ImageTag, ImageID or ImageDigest" }),
    targetEnv: str.nullish(),
    targetBuildArg: str.nullish(),
  }), { error: "expected a list of imports" }).nullish(),
});

export const mountSchema = z.strictObject({
  to: str.nullish(),
  from: z.enum(["tmp_dir", "build_dir"], { error: "expected tmp_dir or build_dir" }).nullish(),
  fromPath: str.nullish(),
});

const flag = z.boolean({ error: "expected true or false" }).nullish();

/** werf v2 `imageSpec:` (pkg/config/raw_image_spec.go): the final image's config. */
export const imageSpecSchema = z.strictObject({
  author: str.nullish(),
  clearHistory: flag,
  config: z.strictObject({
    keepEssentialWerfLabels: flag,
    clearWerfLabels: flag,
    clearCmd: flag,
    clearEntrypoint: flag,
    clearUser: flag,
    clearWorkingDir: flag,
    removeLabels: strings.nullish(),
    removeVolumes: strings.nullish(),
    removeEnv: strings.nullish(),
    volumes: strings.nullish(),
    labels: strMap.nullish(),
    env: strMap.nullish(),
    expose: strings.nullish(),
    user: str.nullish(),
    cmd: strings.nullish(),
    entrypoint: strings.nullish(),
    workingDir: str.nullish(),
    stopSignal: str.nullish(),
    healthcheck: z.strictObject({
      test: strings,
      interval: z.number().int().nonnegative().nullish(),
      timeout: z.number().int().nonnegative().nullish(),
      startPeriod: z.number().int().nonnegative().nullish(),
      retries: z.number().int().nonnegative().nullish(),
    }).nullish(),
  }).nullish(),
});

const names = z.union([str, z.array(str)], { error: "expected an image name or a list of names" });

export const imageDocSchema = z.strictObject({
  image: names.nullish(),
  dimg: names.nullish(),
  artifact: str.nullish(),
  from: str.nullish(),
  fromImage: str.nullish(),
  fromDimg: str.nullish(),
  fromArtifact: str.nullish(),
  fromCacheVersion: str.nullish(),
  /**
   * werf: take the base image's current registry digest into the digest. slipway always
   * does (`from` is pinned by its registry digest), so both values are accepted.
   */
  fromLatest: flag,
  /** werf 1.1's giterminism acknowledgement for fromLatest; nothing to acknowledge here. */
  herebyIAdmitThatFromLatestMightBreakReproducibility: flag,
  git: z.array(gitSchema, { error: "expected a list of git mappings" }).nullish(),
  shell: shellSchema.nullish(),
  ansible: ansibleSchema.nullish(),
  docker: dockerSchema.nullish(),
  import: z.array(importSchema, { error: "expected a list of imports" }).nullish(),
  mount: z.array(mountSchema, { error: "expected a list of mounts" }).nullish(),
  dependencies: z.array(dependencySchema, { error: "expected a list of dependencies" }).nullish(),
  network: z.boolean({ error: "expected true or false" }).nullish(),
  /** werf v2 build secrets (src/config/secrets.ts). */
  secrets: z.array(secretSchema, { error: "expected a list of secrets" }).nullish(),
  /** slipway extension: what user stages see of the git files (default: strict in slipway.yaml, werf elsewhere). */
  gitVisibility: z.enum(["werf", "strict"], { error: "expected werf or strict" }).nullish(),
  imageSpec: imageSpecSchema.nullish(),
  /** werf >= 1.2: `final: false` marks an intermediate image (built, imported from, never published). */
  final: z.boolean({ error: "expected true or false" }).nullish(),
});

export const metaDocSchema = z.strictObject({
  project: str,
  configVersion: z.number({ error: "expected 1" }).nullish(),
  /** Read by the cleanup issue; kept raw. */
  cleanup: z.unknown().optional(),
  /** werf's deploy settings: not slipway's business, accepted so real werf.yaml files load. */
  deploy: z.unknown().optional(),
  /** werf's settings for its own git worktree handling: nothing slipway uses. */
  gitWorktree: z.unknown().optional(),
  /** werf v2 project build settings. */
  build: z.strictObject({
    // slipway builds linux/amd64 images; a config asking for exactly that is fine, anything else is refused.
    platform: strings.refine((p) => p.length === 1 && p[0] === "linux/amd64", {
      error: "slipway builds linux/amd64 only; other or several platforms are not supported",
    }).nullish(),
    imageSpec: z.unknown().refine((v) => v === null || v === undefined, {
      error: "a project-wide imageSpec (build.imageSpec) is not supported; give imageSpec: in each image",
    }).optional(),
  }).nullish(),
});

export type RawImageDoc = z.output<typeof imageDocSchema>;
export type RawMetaDoc = z.output<typeof metaDocSchema>;
export type RawGit = z.output<typeof gitSchema>;
export type RawImport = z.output<typeof importSchema>;
export type RawMount = z.output<typeof mountSchema>;
export type RawDependency = z.output<typeof dependencySchema>;
export type RawDocker = z.output<typeof dockerSchema>;
export type RawImageSpec = z.output<typeof imageSpecSchema>;
