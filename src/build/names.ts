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

/**
 * Registry scheme. Every stage of a project lives in the stages repository REPO
 * (the repository given to `stages push` / `bp`) under the tag `stage-<digest>`
 * (70 characters). Stage tags are never moved. A stage's config carries the labels
 * above plus `slipway.needs`: the digests of every other stage it is built from
 * (parent, fromImage base, import sources), space separated, which is what cleanup
 * walks. Final images are `REPO:<tag>` (nameless) or `REPO/<image>:<tag>`: an OCI
 * manifest over the last stage's layers with a clean config (no slipway labels) and
 * these manifest annotations:
 */
export const ANNOTATIONS = {
  stage: "io.slipway.stage",
  project: "io.slipway.project",
  image: "io.slipway.image",
  created: "org.opencontainers.image.created",
  /**
   * On final image manifests: the image's stages, a JSON object of stage name to digest,
   * so that a later build reads the stages it explains a rebuild against all at once
   * (without it, through the parent labels one after another).
   */
  stages: "io.slipway.stages",
  /**
   * On stage manifests: when this stage tag was written (the clock, ISO 8601). Cleanup's
   * grace window keeps recently published stages by it, whether or not an image names
   * them yet. Never part of the stage digest, which is the tag.
   */
  published: "io.slipway.published",
} as const;

export const NEEDS_LABEL = "slipway.needs";

export const STAGE_TAG_PREFIX = "stage-";

export function stageTag(digest: string): string {
  return `${STAGE_TAG_PREFIX}${digest}`;
}

export function digestOfStageTag(tag: string): string | undefined {
  return tag.startsWith(STAGE_TAG_PREFIX) && /^[0-9a-f]{64}$/.test(tag.slice(STAGE_TAG_PREFIX.length)) ? tag.slice(STAGE_TAG_PREFIX.length) : undefined;
}

/** `REPO` for the nameless image, `REPO/<image>` for a named one. */
export function imageRepository(stagesRepository: string, image: string): string {
  return image ? `${stagesRepository}/${repoComponent(image)}` : stagesRepository;
}
