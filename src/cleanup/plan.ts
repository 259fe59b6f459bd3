/**
 * The cleanup plan: one decision, with its reason, for every tag of the snapshot.
 * Roots (images kept by the keep list, Kubernetes, the git policy or the grace window,
 * and stages published within the grace window, which a build in flight may not have
 * named in an image yet) keep every stage they reach through recorded needs; every
 * other tag goes.
 */
import type { GitRef } from "../gitrefs/types.ts";
import type { KubeImageUse } from "../k8s/types.ts";
import { slugTag } from "../build/remote/tags.ts";
import { formatDuration } from "./duration.ts";
import { indexKubeImages, type KubeIndex } from "./kube-match.ts";
import type { CleanupPolicy } from "./policy.ts";
import pLimit from "p-limit";
import { reach, type NeedsLoader, type PublishedLoader, type ToolchainLoader } from "./reach.ts";
import { commitsOf, imagesKeptForRef, judgeRefs, tagBelongsTo, type RefVerdict } from "./refs.ts";
import { keyOf } from "./snapshot.ts";
import type { Decision, TagEntry } from "./types.ts";

export interface PlanInput {
  entries: TagEntry[];
  refs: GitRef[];
  kube: KubeImageUse[];
  policy: CleanupPolicy;
  /** 0 disables the grace window. */
  graceMs: number;
  /** Keep-list patterns (config `cleanup.keep` plus --keep). */
  keep: Array<{ pattern: string; matches: (tag: string) => boolean }>;
  now: Date;
  host: string;
  repo: string;
  /** How the registry deletes: OCI deletes a manifest by digest (with every tag on it). */
  unit: "tag" | "digest";
  needs: NeedsLoader;
  /** Publish times of stage tags: stages published within the grace window are roots. */
  published?: PublishedLoader;
  /** The Ansible toolchain a stage was built with; without it every toolchain tag is kept. */
  toolchain?: ToolchainLoader;
}

export interface Plan {
  decisions: Decision[];
  /** Stage digests kept images need that the registry lacks. */
  missing: Set<string>;
}

type Verdict = { action: "keep" | "delete"; reason: string };

/** Keep list and Kubernetes: they protect image and stage tags alike. */
function pinned(e: TagEntry, input: PlanInput, kube: KubeIndex): Verdict | undefined {
  const listed = input.keep.find((k) => k.matches(e.tag) || (e.image ? k.matches(`${e.image}:${e.tag}`) : false));
  if (listed) return { action: "keep", reason: `in the keep list (${listed.pattern})` };
  const where = kube.byTag.get(keyOf(e)) ?? kube.byDigest.get(`${e.repository}@${e.digest}`);
  if (where) return { action: "keep", reason: `used in Kubernetes: ${where}` };
  return undefined;
}

function byGitRefs(e: TagEntry, owners: RefVerdict[], keptByRef: Map<TagEntry, string>): Verdict {
  const kept = keptByRef.get(e);
  if (kept) return { action: "keep", reason: kept };
  if (owners.length === 0) return { action: "delete", reason: `no git branch or tag "${e.tag}" exists` };
  const free = owners.find((v) => !v.matched);
  if (free) return { action: "keep", reason: `${free.ref.kind} ${free.ref.name} exists; no keep policy covers it` };
  const v = owners[0];
  if (v.selectedBy.length === 0) return { action: "delete", reason: `${v.ref.kind} ${v.ref.name} is outside every matching policy's limit` };
  return { action: "delete", reason: `${v.ref.kind} ${v.ref.name}: older than its images-per-reference limit` };
}

function withinGrace(e: TagEntry, input: PlanInput): Verdict | undefined {
  if (!e.created || input.graceMs <= 0) return undefined;
  const age = input.now.getTime() - e.created.getTime();
  if (age >= input.graceMs) return undefined;
  return { action: "keep", reason: `pushed ${age < 0 ? "with a future date" : `${formatDuration(age)} ago`}, within the grace window (${formatDuration(input.graceMs)})` };
}

/** Image tags grouped by (ref, repository), and the ones each ref's policies keep. */
function refKeeps(images: TagEntry[], input: PlanInput): { owners: Map<TagEntry, RefVerdict[]>; kept: Map<TagEntry, string> } {
  const verdicts = judgeRefs(input.refs, input.policy, input.now);
  // Indexes, so thousands of tags times hundreds of refs stays linear.
  const byTag = new Map<string, TagEntry[]>();
  const byCommitPrefix = new Map<string, TagEntry[]>();
  const add = (m: Map<string, TagEntry[]>, k: string, e: TagEntry) => m.set(k, [...(m.get(k) ?? []), e]);
  for (const e of images) {
    add(byTag, e.tag, e);
    if (/^[0-9a-f]{7,40}$/.test(e.tag)) add(byCommitPrefix, e.tag.slice(0, 7), e);
  }
  const candidates = (ref: GitRef) => [...new Set([...(byTag.get(ref.name) ?? []), ...(byTag.get(slugTag(ref.name)) ?? []), ...commitsOf(ref).flatMap((c) => byCommitPrefix.get(c.slice(0, 7)) ?? [])])];
  const owners = new Map<TagEntry, RefVerdict[]>(images.map((e) => [e, []]));
  const kept = new Map<TagEntry, string>();
  for (const v of verdicts.values()) {
    const mine = candidates(v.ref).filter((e) => tagBelongsTo(e.tag, v.ref));
    for (const e of mine) owners.get(e)!.push(v);
    const byRepo = new Map<string, TagEntry[]>();
    for (const e of mine) byRepo.set(e.repository, [...(byRepo.get(e.repository) ?? []), e]);
    for (const group of byRepo.values()) {
      for (const [e, why] of imagesKeptForRef(v, group, input.policy, input.now)) if (!kept.has(e)) kept.set(e, why);
    }
  }
  return { owners, kept };
}

/** OCI deletes by digest: a tag may only go if no kept tag shares its manifest. */
function protectSharedDigests(decisions: Decision[]): void {
  const keptByDigest = new Map<string, Decision>();
  for (const d of decisions) if (d.action === "keep") keptByDigest.set(`${d.repository}@${d.digest}`, d);
  for (const d of decisions) {
    const other = keptByDigest.get(`${d.repository}@${d.digest}`);
    if (d.action === "delete" && other) Object.assign(d, { action: "keep", reason: `same manifest as kept tag ${other.tag} (${other.reason})` });
  }
}

/**
 * Dependency caches (src/cache/): kept while the git ref they were saved for exists, like
 * that ref's images; a cache of a ref that is gone goes, unless the keep list, or the grace
 * window (it was saved recently: a build of a ref just pushed may be writing it) keeps it.
 */
function decideCaches(input: PlanInput, kube: KubeIndex): Decision[] {
  const refs = new Map(input.refs.map((r) => [r.name, r]));
  return input.entries.filter((e) => e.kind === "cache").map((e): Decision => {
    const ref = e.ref !== undefined ? refs.get(e.ref) : undefined;
    const verdict: Verdict = pinned(e, input, kube)
      ?? (ref ? { action: "keep", reason: `cache of ${ref.kind} ${ref.name}, which exists` } : undefined)
      ?? withinGrace(e, input)
      ?? { action: "delete", reason: e.ref === undefined ? "cache records no git ref" : `cache of "${e.ref}": no git branch or tag "${e.ref}" exists` };
    return { ...e, ...verdict };
  });
}

export async function makePlan(input: PlanInput): Promise<Plan> {
  const kube = indexKubeImages(input.kube, input.host);
  const images = input.entries.filter((e) => e.kind === "image");
  const { owners, kept } = refKeeps(images, input);
  const decide = (e: TagEntry): Verdict => {
    const pin = pinned(e, input, kube);
    if (pin) return pin;
    const git = byGitRefs(e, owners.get(e)!, kept);
    return git.action === "keep" ? git : (withinGrace(e, input) ?? git);
  };
  const decisions: Decision[] = [...images.map((e) => ({ ...e, ...decide(e) })), ...decideCaches(input, kube)];
  if (input.unit === "digest") protectSharedDigests(decisions);
  const stageDecisions = await decideStages(input, decisions, kube);
  const toolchains = await decideToolchains(input, stageDecisions.decisions, kube);
  return { decisions: [...decisions, ...stageDecisions.decisions, ...toolchains], missing: stageDecisions.missing };
}

/**
 * The Ansible toolchain image (src/ansible/publish.ts): kept while a kept stage was built
 * with it (the ansibleToolchain of its slipway.inputs label), or within the grace window
 * (a build may be about to push stages made with it); else it goes: no stage left needs it,
 * and the next node to build an ansible stage publishes its own. The labels are the ones
 * the needs walk reads, so this costs no more reads.
 */
async function decideToolchains(input: PlanInput, stages: Decision[], kube: KubeIndex): Promise<Decision[]> {
  const toolchains = input.entries.filter((e) => e.kind === "toolchain");
  if (toolchains.length === 0) return [];
  const usedBy = new Map<string, string>();
  const read = input.toolchain;
  if (read) {
    const limit = pLimit(16);
    await Promise.all(stages.filter((d) => d.action === "keep").map((d) => limit(async () => {
      const used = await read(d.stage!, d.digest);
      if (used && !usedBy.has(used)) usedBy.set(used, d.stage!);
    })));
  }
  return toolchains.map((e): Decision => {
    const user = e.toolchain ? usedBy.get(e.toolchain) : undefined;
    const verdict: Verdict = pinned(e, input, kube)
      ?? (!read ? { action: "keep", reason: "the stages' toolchains were not read" } : undefined)
      ?? (!e.toolchain ? { action: "keep", reason: "records no toolchain digest" } : undefined)
      ?? (user ? { action: "keep", reason: `used by kept stage stage-${user.slice(0, 12)}` } : undefined)
      ?? withinGrace(e, input)
      ?? { action: "delete", reason: "no kept stage was built with this toolchain" };
    return { ...e, ...verdict };
  });
}

/**
 * Stages published within the grace window (a build in flight may be about to name them
 * in an image): stage digest -> why. Costs one manifest GET per stage no kept image
 * reaches (the walk reads the others anyway); stages that record no publish time count as old.
 */
async function freshStages(candidates: TagEntry[], input: PlanInput): Promise<Map<string, string>> {
  const fresh = new Map<string, string>();
  const published = input.published;
  if (!published || input.graceMs <= 0) return fresh;
  // As many reads in flight as the needs walk (reach) uses.
  const limit = pLimit(16);
  await Promise.all(candidates.map((e) => limit(async () => {
    const when = await published(e.stage!, e.digest);
    const age = when ? input.now.getTime() - when.getTime() : Infinity;
    if (age < input.graceMs) fresh.set(e.stage!, `published ${age < 0 ? "with a future date" : `${formatDuration(age)} ago`}, within the grace window (${formatDuration(input.graceMs)})`);
  })));
  return fresh;
}

/** Stage tags: kept when pinned, reachable from a kept image or a pinned stage, or freshly published (and what those need). */
async function decideStages(input: PlanInput, images: Decision[], kube: KubeIndex): Promise<{ decisions: Decision[]; missing: Set<string> }> {
  const stages = input.entries.filter((e) => e.kind === "stage");
  const roots = new Map<string, string>();
  for (const d of images) if (d.action === "keep" && d.stage && !roots.has(d.stage)) roots.set(d.stage, `needed by kept image ${d.repository}:${d.tag}`);
  const pins = new Map(stages.map((e) => [e, pinned(e, input, kube)]));
  for (const [e, v] of pins) if (v && !roots.has(e.stage!)) roots.set(e.stage!, v.reason);
  const refs = new Map(stages.map((e) => [e.stage!, e.digest]));
  // Publish times are read alongside the walk: both read the same (cached) stage manifests.
  const [{ needed, missing }, fresh] = await Promise.all([reach(roots, refs, input.needs), freshStages(stages, input)]);
  for (const d of needed.keys()) fresh.delete(d);
  const freshRoots = new Map([...fresh].map(([d, why]) => [d, `needed by stage-${d.slice(0, 12)}, ${why}`]));
  const more = await reach(freshRoots, refs, input.needs);
  for (const [d, why] of more.needed) if (!needed.has(d)) needed.set(d, fresh.get(d) ?? why);
  for (const d of more.missing) missing.add(d);
  const decisions = stages.map((e): Decision => {
    const why = pins.get(e)?.reason ?? needed.get(e.stage!);
    return { ...e, ...(why ? { action: "keep", reason: why } : { action: "delete", reason: "no kept image needs this stage" }) };
  });
  return { decisions, missing };
}
