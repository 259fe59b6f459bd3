/**
 * Local naming scheme. Stage images: `slipway-stages/<project>:<digest>` (the stage
 * digest, 64 hex characters). Final images: `<project>[/<image>]:latest` and
 * `...:<last stage digest>`. Labels on stage images (never on final images):
 */
export const LABELS = {
  project: "slipway.project",
  image: "slipway.image",
  stage: "slipway.stage",
  digest: "slipway.digest",
  parent: "slipway.parent",
  cacheVersion: "slipway.cache-version",
  gitCommit: "slipway.git-commit",
  inputs: "slipway.inputs",
} as const;

export const LABEL_PREFIX = "slipway.";

/** A project or image name made into a valid lowercase repository path component. */
export function repoComponent(name: string): string {
  const cleaned = name.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+|[._-]+$/g, "");
  return cleaned || "project";
}

export function stageRef(project: string, digest: string): string {
  return `slipway-stages/${repoComponent(project)}:${digest}`;
}

export function imageRepo(project: string, image: string): string {
  return image ? `${repoComponent(project)}/${repoComponent(image)}` : repoComponent(project);
}
