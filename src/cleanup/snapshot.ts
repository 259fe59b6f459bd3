import pLimit from "p-limit";
import { ANNOTATIONS, digestOfStageTag } from "../build/names.ts";
import { isToolchainTag, TOOLCHAIN_ANNOTATION } from "../ansible/tag.ts";
import { CACHE_ANNOTATIONS, isCacheTag } from "../cache/tag.ts";
import type { Registry } from "../registry/types.ts";
import { finalRepository } from "./repos.ts";
import type { TagEntry } from "./types.ts";

export interface SnapshotOptions {
  registry: Registry;
  repo: string;
  /** Config image names ("" = nameless). */
  images: string[];
  concurrency?: number;
}

interface ManifestFacts {
  stage?: string;
  created?: Date;
  ref?: string;
  toolchain?: string;
}

/** Annotations of a final image (or cache) manifest; unreadable or foreign manifests give no facts. */
async function imageFacts(registry: Registry, repository: string, digest: string): Promise<ManifestFacts> {
  const m = await registry.getManifest(repository, digest);
  if (!m) return {};
  let json: { annotations?: Record<string, string> };
  try {
    json = JSON.parse(Buffer.from(m.body).toString("utf8")) as typeof json;
  } catch {
    return {};
  }
  const a = json.annotations ?? {};
  const created = a[ANNOTATIONS.created] ? new Date(a[ANNOTATIONS.created]) : undefined;
  return {
    ...(/^[0-9a-f]{64}$/.test(a[ANNOTATIONS.stage] ?? "") && { stage: a[ANNOTATIONS.stage] }),
    ...(created && !Number.isNaN(created.getTime()) && { created }),
    ...(typeof a[CACHE_ANNOTATIONS.ref] === "string" && { ref: a[CACHE_ANNOTATIONS.ref] }),
    ...(/^sha256:[0-9a-f]{64}$/.test(a[TOOLCHAIN_ANNOTATION] ?? "") && { toolchain: a[TOOLCHAIN_ANNOTATION] }),
  };
}

/** Every tag of one repository with its digest; image tags with their annotations. */
export async function snapshotRepository(opts: SnapshotOptions, repository: string, image: string | undefined, imagesOnly: boolean, known?: Map<string, TagEntry>): Promise<TagEntry[]> {
  const { registry } = opts;
  const limit = pLimit(opts.concurrency ?? 8);
  const isStage = (tag: string) => repository === opts.repo && digestOfStageTag(tag) !== undefined;
  const isCache = (tag: string) => repository === opts.repo && isCacheTag(tag);
  const isToolchain = (tag: string) => repository === opts.repo && isToolchainTag(tag);
  // Re-reads during deletion only care about images: skip HEADs of thousands of stage tags.
  const tags = (await registry.listTags(repository)).filter((t) => !imagesOnly || !(isStage(t) || isCache(t) || isToolchain(t)));
  const found = await registry.findTags(repository, tags);
  const facts = new Map<string, Promise<ManifestFacts>>();
  const entries = [...found].map(async ([tag, d]): Promise<TagEntry> => {
    const stage = repository === opts.repo ? digestOfStageTag(tag) : undefined;
    if (stage) return { repository, tag, digest: d.digest, kind: "stage", stage };
    const old = known?.get(`${repository}:${tag}`);
    if (old && old.digest === d.digest) return old;
    if (!facts.has(d.digest)) facts.set(d.digest, limit(() => imageFacts(registry, repository, d.digest)));
    const { stage: last, created, ref, toolchain } = await facts.get(d.digest)!;
    if (isToolchain(tag)) return { repository, tag, digest: d.digest, kind: "toolchain", ...(created && { created }), ...(toolchain && { toolchain }) };
    if (isCache(tag)) return { repository, tag, digest: d.digest, kind: "cache", ...(created && { created }), ...(ref !== undefined && { ref }) };
    return { repository, tag, digest: d.digest, kind: "image", image: image ?? "", ...(last && { stage: last }), ...(created && { created }) };
  });
  return Promise.all(entries);
}

/** The repositories a project's tags live in: REPO (stages + nameless image) and REPO/<image> per named image. */
export function projectRepositories(repo: string, images: string[]): Array<{ repository: string; image: string | undefined }> {
  const named = [...new Set(images.filter(Boolean))].map((name) => ({ repository: finalRepository(repo, name), image: name }));
  return [{ repository: repo, image: images.includes("") ? "" : undefined }, ...named];
}

/** Every tag of the project, read now. Tags pushed after this are never deleted by a plan made from it. */
export async function takeSnapshot(opts: SnapshotOptions, imagesOnly = false, known?: Map<string, TagEntry>): Promise<TagEntry[]> {
  const repos = projectRepositories(opts.repo, opts.images);
  const all = await Promise.all(repos.map((r) => snapshotRepository(opts, r.repository, r.image, imagesOnly, known)));
  return all.flat();
}

export function keyOf(e: { repository: string; tag: string }): string {
  return `${e.repository}:${e.tag}`;
}
