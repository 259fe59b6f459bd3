import { USER_STAGES, type ImageConfig, type ProjectConfig } from "../config/types.ts";
import { nodeToolchain, type ToolchainSource } from "../ansible/toolchain.ts";
import { BuildError, UsageError } from "../errors.ts";
import type { Engine } from "../engine/types.ts";
import { conveyor, STAGE_ORDER } from "./conveyor.ts";
import { stageDigest, type NamedInput } from "./digest.ts";
import { dirname, join } from "node:path";
import { readWorktree, type Worktree } from "./git.ts";
import { fetchRemoteTree, type RemoteTree } from "./git-remote.ts";
import { remoteKey } from "./placement.ts";
import { stageRef } from "./names.ts";
import type { Stage, StageContext, StageName } from "./stage.ts";
import type { BuildSecrets } from "./secrets/values.ts";

/** A stage with its digest computed: the first lifecycle state of a stage. */
export interface PlannedStage {
  name: StageName;
  digest: string;
  parent?: string;
  inputs: NamedInput[];
  stage: Stage;
  /** Local stage image reference. */
  ref: string;
}

export interface ImagePlan {
  image: ImageConfig;
  stages: PlannedStage[];
  /** Digest of the last stage: the image's identity. */
  digest: string;
  /** Names of images this one is built from or imports from. */
  dependsOn: string[];
}

export interface ProjectPlan {
  config: ProjectConfig;
  worktree?: Worktree;
  images: ImagePlan[];
}

/** Resolves a `from` reference to the base image's registry manifest digest. */
export type BaseResolver = (ref: string) => Promise<string>;

export interface PlanOptions {
  engine: Engine;
  resolveBase: BaseResolver;
  buildDir: string;
  /** Where remote git mappings are cloned (kept between builds); default: beside buildDir. */
  gitCacheDir?: string;
  /** Build secrets: each planned image's are read (a missing one is a ConfigError) before anything is built. */
  secrets?: BuildSecrets;
  /** The ssh agent socket to forward (`--ssh default`). */
  sshSocket?: string;
  /** The Ansible toolchain for ansible stages; default: built on this node, kept beside buildDir. */
  ansibleToolchain?: ToolchainSource;
}

/** Fetches every remote git mapping of the config once per URL and revision. */
async function fetchRemotes(config: ProjectConfig, cacheDir: string): Promise<Map<string, RemoteTree>> {
  const wanted = new Map(config.images.flatMap((i) => i.git.filter((m) => m.url !== undefined).map((m) => [remoteKey(m), m] as const)));
  const out = new Map<string, RemoteTree>();
  // One at a time: two mappings of one URL share a clone.
  for (const [key, mapping] of wanted) out.set(key, await fetchRemoteTree(mapping, cacheDir));
  return out;
}

/** Images from outside the config an image needs, each pinned by its registry digest: `from` and external imports. */
function externalRefs(image: ImageConfig): string[] {
  return [...(image.from ? [image.from] : []), ...image.imports.filter((i) => i.fromKind === "external").map((i) => i.from)];
}

function dependenciesOf(image: ImageConfig): string[] {
  const deps = new Set<string>();
  if (image.fromImage !== undefined) deps.add(image.fromImage);
  if (image.fromArtifact !== undefined) deps.add(image.fromArtifact);
  for (const imp of image.imports) if (imp.fromKind !== "external") deps.add(imp.from);
  for (const dep of image.dependencies) deps.add(dep.image);
  return [...deps];
}

/** Images in dependency order (the loader has already refused cycles and unknown names). */
export function dependencyOrder(images: ImageConfig[]): ImageConfig[] {
  const byName = new Map(images.map((i) => [i.name, i]));
  const done = new Set<string>();
  const out: ImageConfig[] = [];
  const visit = (image: ImageConfig, path: string[]) => {
    if (done.has(image.name)) return;
    if (path.includes(image.name)) throw new BuildError(image.name, "from", `images depend on each other in a cycle: ${[...path, image.name].join(" -> ")}`);
    for (const dep of dependenciesOf(image)) {
      const target = byName.get(dep);
      if (target) visit(target, [...path, image.name]);
    }
    done.add(image.name);
    out.push(image);
  };
  for (const image of images) visit(image, []);
  return out;
}

/**
 * Computes every stage digest of the selected images (and the images they need)
 * up front, from config + working tree: no engine work, one manifest HEAD per base.
 */
export async function planProject(config: ProjectConfig, names: string[], opts: PlanOptions): Promise<ProjectPlan> {
  const needsGit = config.images.some((i) => i.git.some((m) => m.url === undefined));
  // The working tree, the remote repositories and the bases at once (git's processes and the
  // registry's round trips overlap); a failure is reported in this order, whichever came first.
  const reading = needsGit ? readWorktree(config.dir, config.file) : Promise.resolve(undefined);
  const fetching = fetchRemotes(config, opts.gitCacheDir ?? join(dirname(opts.buildDir), "git"));
  const bases = new Map<string, string>();
  const resolving = Promise.all(
    [...new Set(config.images.flatMap((i) => [...externalRefs(i), ...(i.dockerfile?.baseImages ?? [])]))].map(async (ref) => bases.set(ref, await opts.resolveBase(ref))),
  );
  // Nothing is left running on a failure.
  const [read, fetched, resolved] = await Promise.allSettled([reading, fetching, resolving]);
  for (const r of [read, fetched, resolved]) if (r.status === "rejected") throw r.reason;
  const worktree = (read as PromiseFulfilledResult<Awaited<typeof reading>>).value;
  const remotes = (fetched as PromiseFulfilledResult<Awaited<typeof fetching>>).value;
  const selected = selectImages(config.images, names);
  const wantsAnsible = selected.some((i) => i.ansible && USER_STAGES.some((s) => (i.ansible?.[s].length ?? 0) > 0));
  const ansibleToolchain = wantsAnsible
    ? await (opts.ansibleToolchain ?? (() => nodeToolchain(join(dirname(opts.buildDir), "ansible"))))()
    : undefined;
  const results = new Map<string, ImagePlan>();
  for (const image of dependencyOrder(selected)) {
    const secrets = await opts.secrets?.forImage(image);
    const ctx: StageContext = {
      project: config.project,
      image,
      ...(secrets ? { secrets } : {}),
      ...(opts.sshSocket ? { sshSocket: opts.sshSocket } : {}),
      worktree,
      remotes,
      engine: opts.engine,
      buildDir: opts.buildDir,
      ...(ansibleToolchain ? { ansibleToolchain } : {}),
      baseDigest: (ref) => bases.get(ref),
      imageResult: (name, stage) => {
        const plan = results.get(name);
        if (!plan) return undefined;
        const digest = stage === undefined ? plan.digest : digestUpTo(plan, stage);
        return { digest, ref: stageRef(config.project, digest) };
      },
    };
    const stages: PlannedStage[] = [];
    let parent: string | undefined;
    for (const stage of conveyor(ctx)) {
      const inputs = stage.inputs();
      const own = stage.root ? undefined : parent;
      const digest = stageDigest(stage.kind, own, inputs);
      stages.push({ name: stage.name, digest, parent: own, inputs, stage, ref: stageRef(config.project, digest) });
      parent = digest;
    }
    results.set(image.name, { image, stages, digest: parent as string, dependsOn: dependenciesOf(image) });
  }
  return { config, worktree, images: [...results.values()] };
}

/** The digest of the last stage of `plan` at or before conveyor stage `stage` (werf's import `stage:`). */
function digestUpTo(plan: ImagePlan, stage: string): string {
  const limit = STAGE_ORDER.indexOf(stage as StageName);
  if (limit < 0) throw new UsageError(`image ${plan.image.name}: unknown stage ${JSON.stringify(stage)} to import from`);
  const upTo = plan.stages.filter((s) => STAGE_ORDER.indexOf(s.name) <= limit);
  return (upTo.at(-1) ?? plan.stages[0]).digest;
}

/** The named images plus everything they need; all images when no name is given. */
export function selectImages(images: ImageConfig[], names: string[]): ImageConfig[] {
  if (names.length === 0) return images;
  const byName = new Map(images.map((i) => [i.name, i]));
  const wanted = new Set<string>();
  const add = (name: string) => {
    if (wanted.has(name)) return;
    const image = byName.get(name);
    if (!image) throw new UsageError(`no image named ${JSON.stringify(name)} in the config (images: ${images.map((i) => i.name || "(nameless)").join(", ")})`);
    wanted.add(name);
    dependenciesOf(image).forEach(add);
  };
  names.forEach(add);
  return images.filter((i) => wanted.has(i.name));
}
