import type { ImageConfigDocument, RuntimeConfig } from "../image/index.ts";
import { CACHE_VERSION, fingerprint } from "./digest.ts";
import { LABEL_PREFIX, LABELS, NEEDS_LABEL } from "./names.ts";
import type { PlannedStage } from "./plan.ts";
import { GIT_FILES_LABEL } from "./stages/git-patch.ts";

/*
 * A stage image's config document: the parent's, with slipway's labels (what cleanup
 * walks and a miss is explained by). Pure, and shared by every executor (engine and
 * registry), so a stage made either way has the same bytes.
 */

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


