import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { homedir, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { BuildError } from "../errors.ts";
import type { Engine, ImageConfigDocument, LocalImage, RunBind, RuntimeConfig } from "../engine/types.ts";
import { CACHE_VERSION, fingerprint } from "./digest.ts";
import type { Layer } from "./layer.ts";
import { LABEL_PREFIX, LABELS, NEEDS_LABEL, stageRef } from "./names.ts";
import type { PlannedStage, ProjectPlan } from "./plan.ts";
import type { StageChange } from "./stage.ts";
import { GIT_FILES_LABEL } from "./stages/git-patch.ts";
import { ownerResolver } from "./stages/owners.ts";
import { extractFile } from "./tar-read.ts";
import { SCRATCH, SCRATCH_CONFIG } from "./scratch.ts";

/** A config without slipway's own labels: what the user's image says. */
export function cleanConfig(config: RuntimeConfig): RuntimeConfig {
  const c = structuredClone(config);
  if (c.Labels) {
    c.Labels = Object.fromEntries(Object.entries(c.Labels).filter(([k]) => !k.startsWith(LABEL_PREFIX)));
    if (Object.keys(c.Labels).length === 0) delete c.Labels;
  }
  return c;
}

export interface StageLabels {
  project: string;
  image: string;
  gitCommit?: string;
  /** How stages are named where this build keeps them (a registry's `REPO:stage-<digest>`); default: the local stage ref. */
  stageName?: (digest: string) => string;
}

export function stageDocument(base: ImageConfigDocument, runtime: RuntimeConfig, diffIds: string[], stage: PlannedStage, meta: StageLabels): ImageConfigDocument {
  const labels: Record<string, string> = {
    ...(runtime.Labels ?? {}),
    [LABELS.project]: meta.project,
    [LABELS.image]: meta.image || "_",
    [LABELS.stage]: stage.name,
    [LABELS.digest]: stage.digest,
    [LABELS.parent]: stage.parent ?? "",
    [LABELS.cacheVersion]: CACHE_VERSION,
    [LABELS.inputs]: JSON.stringify(fingerprint(stage.inputs, 4096)),
    [NEEDS_LABEL]: [stage.parent, ...(stage.stage.needs?.() ?? [])].filter(Boolean).join(" "),
    ...(meta.gitCommit ? { [LABELS.gitCommit]: meta.gitCommit } : {}),
  };
  // werf view: which mapped files the image holds; carried from the parent by stages that
  // add none (never across `from`: a base's files are not this image's mappings).
  const gitFiles = stage.stage.gitFiles?.() ?? (stage.name !== "from" ? base.config.Labels?.[GIT_FILES_LABEL] : undefined);
  if (gitFiles !== undefined) labels[GIT_FILES_LABEL] = gitFiles;
  const author = stage.stage.author?.() ?? (stage.name !== "from" ? base.author : undefined);
  return {
    architecture: base.architecture,
    os: base.os,
    ...(base.variant ? { variant: base.variant } : {}),
    created: "1970-01-01T00:00:00Z",
    ...(author !== undefined ? { author } : {}),
    config: { ...runtime, Labels: labels },
    rootfs: { type: "layers", diff_ids: diffIds },
  };
}

export interface AppliedStage {
  status: "built" | "appended";
  containersRun: number;
}

/** `~` and `~/...` in a mount's fromPath: the home directory of the user running the build, as werf expands it. */
export function expandHome(path: string, home = userHome()): string {
  return path === "~" ? home : path.startsWith("~/") ? join(home, path.slice(2)) : path;
}

/** The account's home directory (what werf's user.Current() gives), $HOME when there is no account entry. */
function userHome(): string {
  try {
    return userInfo().homedir || homedir();
  } catch {
    return homedir();
  }
}

async function withBinds<T>(binds: RunBind[], fn: (b: RunBind[]) => Promise<T>): Promise<T> {
  const temps: string[] = [];
  try {
    const real: RunBind[] = [];
    for (const b of binds) {
      if (b.source === "") {
        const dir = await mkdtemp(join(tmpdir(), "slipway-mount-"));
        temps.push(dir);
        const filled = await b.fill?.(dir);
        real.push({ source: filled || dir, target: b.target, readOnly: b.readOnly });
      } else {
        const source = expandHome(b.source);
        await mkdir(source, { recursive: true });
        real.push({ source, target: b.target, readOnly: b.readOnly });
      }
    }
    return await fn(real);
  } finally {
    await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
  }
}

/** The parent's labels as the stage's layer builders read them (werf-view git patches). */
function labelsOf(image: LocalImage): Record<string, string> {
  return image.config.config.Labels ?? {};
}

/**
 * Runs a stage's commands on the parent, after its git patch (werf view) when it has
 * one: the patched image is loaded under a temporary tag first. Returns the layers the
 * stage adds (a run that changes no file adds none) and the images to remove afterwards.
 */
async function runCommands(
  engine: Engine, change: Extract<StageChange, { kind: "run" }>, parentRef: string, parent: LocalImage,
  plan: PlannedStage, meta: StageLabels, onOutput: (chunk: Buffer) => void,
): Promise<{ diffIds: string[]; temporary: string[] }> {
  const diffIds: string[] = [];
  const temporary: string[] = [];
  let runOn = parentRef;
  const patch = change.patch ? await change.patch(ownerResolver(fileReader(engine, parentRef), { image: meta.image, stage: plan.name }), labelsOf(parent)) : undefined;
  if (patch) {
    runOn = `${plan.ref}-patch`;
    const doc = { ...parent.config, rootfs: { type: "layers" as const, diff_ids: [...parent.config.rootfs.diff_ids, patch.diffId] } };
    await engine.loadImage(doc, [patch], [runOn]).finally(() => patch.dispose());
    temporary.push(runOn);
    diffIds.push(patch.diffId);
  }
  const env = change.env?.(meta.stageName ?? ((digest) => stageRef(meta.project, digest)));
  const tail = change.describeFailure ? outputTail() : undefined;
  const output = tail ? (chunk: Buffer) => (tail.add(chunk), onOutput(chunk)) : onOutput;
  const result = await withBinds(change.binds, (binds) => engine.runAndCommit({ image: runOn, script: change.script, network: change.network, binds, env, onOutput: output, argv: change.argv, imageUser: change.imageUser }));
  if (result.committed) temporary.push(result.committed);
  if (result.exitCode !== 0) {
    await Promise.all(temporary.map((ref) => engine.removeImage(ref).catch(() => undefined)));
    const what = tail && change.describeFailure?.(tail.text());
    throw new BuildError(meta.image, plan.name, what ?? `command failed with exit code ${result.exitCode}`, result.exitCode);
  }
  if (result.diffId) diffIds.push(result.diffId);
  return { diffIds, temporary };
}

/** The last 256 KiB of a run's output, for describing its failure. */
function outputTail(limit = 256 * 1024) {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    add(chunk: Buffer) {
      chunks.push(chunk);
      size += chunk.length;
      while (size - chunks[0].length > limit) size -= (chunks.shift() as Buffer).length;
    },
    text: () => Buffer.concat(chunks).toString("utf8"),
  };
}

function fileReader(engine: Engine, ref: string) {
  return async (path: string) => {
    return (await engine.readPath(ref, path, extractFile))?.toString("utf8");
  };
}

/**
 * Builds one stage on the local engine on top of `parentRef` and tags it with the
 * stage's ref. The stage image's config is always written by slipway (docker load of
 * a config document), never taken from a container, so build-time settings never leak.
 */
export async function buildStageLocally(
  engine: Engine, plan: PlannedStage, parentRef: string | undefined, meta: StageLabels, onOutput: (chunk: Buffer) => void,
): Promise<AppliedStage> {
  const change: StageChange = plan.stage.change();
  if (change.kind === "base" && change.ref === SCRATCH) {
    await engine.loadImage(stageDocument(SCRATCH_CONFIG, SCRATCH_CONFIG.config, [], plan, meta), [], [plan.ref]);
    return { status: "appended", containersRun: 0 };
  }
  if (change.kind === "base") {
    let base = await engine.inspectImage(change.ref);
    if (!base && !change.local) {
      await engine.pull(change.ref);
      base = await engine.inspectImage(change.ref);
    }
    if (!base) throw new BuildError(meta.image, plan.name, `base image ${change.ref} is not available`);
    const doc = stageDocument(base.config, cleanConfig(base.config.config), base.config.rootfs.diff_ids, plan, meta);
    await engine.loadImage(doc, [], [plan.ref]);
    return { status: "appended", containersRun: 0 };
  }
  const parent = parentRef ? await engine.inspectImage(parentRef) : undefined;
  if (!parent || !parentRef) throw new BuildError(meta.image, plan.name, `parent stage ${parentRef ?? "(none)"} is missing from the engine`);
  const runtime = cleanConfig(parent.config.config);
  const diffIds = [...parent.config.rootfs.diff_ids];
  const layers: Layer[] = [];
  let temporary: string[] = [];
  if (change.kind === "run") {
    const ran = await runCommands(engine, change, parentRef, parent, plan, meta, onOutput);
    diffIds.push(...ran.diffIds);
    temporary = ran.temporary;
  } else if (change.kind === "files") {
    const exists = async (path: string) => (await engine.readPath(parentRef, path, async () => true)) === true;
    const layer = await change.layer(ownerResolver(fileReader(engine, parentRef), { image: meta.image, stage: plan.name }), labelsOf(parent), runtime, exists);
    if (layer) {
      diffIds.push(layer.diffId);
      layers.push(layer);
    }
  }
  const apply = change.kind === "config" || change.kind === "files" ? change.apply : undefined;
  const finalRuntime = apply ? apply(runtime) : runtime;
  try {
    await engine.loadImage(stageDocument(parent.config, finalRuntime, diffIds, plan, meta), layers, [plan.ref]);
  } finally {
    for (const layer of layers) await layer.dispose();
    for (const ref of temporary) await engine.removeImage(ref).catch(() => undefined);
  }
  return { status: change.kind === "run" ? "built" : "appended", containersRun: change.kind === "run" ? 1 : 0 };
}

/** Writes the user-facing image: the last stage with slipway's labels removed. Returns its id. */
export async function writeFinalImage(engine: Engine, lastStageRef: string, tags: string[]): Promise<string> {
  const stage = await engine.inspectImage(lastStageRef);
  if (!stage) throw new BuildError("", "final", `stage ${lastStageRef} is missing`);
  const doc: ImageConfigDocument = { ...stage.config, created: "1970-01-01T00:00:00Z", config: cleanConfig(stage.config.config) };
  return engine.loadImage(doc, [], tags);
}

export type { ProjectPlan };
