import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BuildError } from "../errors.ts";
import type { Engine, ImageConfigDocument, LayerSource, RuntimeConfig } from "../engine/types.ts";
import { CACHE_VERSION, fingerprint } from "./digest.ts";
import { LABEL_PREFIX, LABELS, NEEDS_LABEL } from "./names.ts";
import type { PlannedStage, ProjectPlan } from "./plan.ts";
import type { StageChange } from "./stage.ts";
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
  return {
    architecture: base.architecture,
    os: base.os,
    ...(base.variant ? { variant: base.variant } : {}),
    created: "1970-01-01T00:00:00Z",
    config: { ...runtime, Labels: labels },
    rootfs: { type: "layers", diff_ids: diffIds },
  };
}

export interface AppliedStage {
  status: "built" | "appended";
  containersRun: number;
}

async function withBinds<T>(binds: { source: string; target: string }[], fn: (b: { source: string; target: string }[]) => Promise<T>): Promise<T> {
  const temps: string[] = [];
  try {
    const real = [];
    for (const b of binds) {
      if (b.source === "") {
        const dir = await mkdtemp(join(tmpdir(), "slipway-mount-"));
        temps.push(dir);
        real.push({ source: dir, target: b.target });
      } else {
        await mkdir(b.source, { recursive: true });
        real.push(b);
      }
    }
    return await fn(real);
  } finally {
    await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
  }
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
  const layers: LayerSource[] = [];
  let status: AppliedStage["status"] = "appended";
  let temporary: string | undefined;
  if (change.kind === "run") {
    const result = await withBinds(change.binds, (binds) =>
      engine.runAndCommit({ image: parentRef, script: change.script, network: change.network, binds, onOutput, argv: change.argv, env: change.env, imageUser: change.imageUser }),
    );
    if (result.exitCode !== 0 || !result.diffId) {
      throw new BuildError(meta.image, plan.name, `command failed with exit code ${result.exitCode}`, result.exitCode);
    }
    diffIds.push(result.diffId);
    temporary = result.committed;
    status = "built";
  } else if (change.kind === "files") {
    const read = async (path: string) => {
      const tar = await engine.readPath(parentRef, path);
      return tar ? (await extractFile(tar))?.toString("utf8") : undefined;
    };
    const exists = async (path: string) => (await engine.readPath(parentRef, path)) !== undefined;
    const layer = await change.layer(ownerResolver(read), runtime, exists);
    diffIds.push(layer.diffId);
    layers.push(layer);
  }
  const apply = change.kind === "config" || change.kind === "files" ? change.apply : undefined;
  const finalRuntime = apply ? apply(runtime) : runtime;
  try {
    await engine.loadImage(stageDocument(parent.config, finalRuntime, diffIds, plan, meta), layers, [plan.ref]);
  } finally {
    if (temporary) await engine.removeImage(temporary);
  }
  return { status, containersRun: status === "built" ? 1 : 0 };
}

/** Writes the user-facing image: the last stage with slipway's labels removed. Returns its id. */
export async function writeFinalImage(engine: Engine, lastStageRef: string, tags: string[]): Promise<string> {
  const stage = await engine.inspectImage(lastStageRef);
  if (!stage) throw new BuildError("", "final", `stage ${lastStageRef} is missing`);
  const doc: ImageConfigDocument = { ...stage.config, created: "1970-01-01T00:00:00Z", config: cleanConfig(stage.config.config) };
  return engine.loadImage(doc, [], tags);
}

export type { ProjectPlan };
