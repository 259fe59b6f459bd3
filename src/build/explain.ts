import type { Engine, LocalImage } from "../engine/types.ts";
import { fingerprint } from "./digest.ts";
import { LABELS } from "./names.ts";
import type { PlannedStage } from "./plan.ts";

function changedFiles(before: string, after: string): string[] {
  const parse = (text: string) => new Map(text.split("\n").filter(Boolean).map((l) => {
    const cut = l.lastIndexOf(" ");
    return [l.slice(0, cut), l.slice(cut + 1)] as const;
  }));
  const a = parse(before);
  const b = parse(after);
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].filter((n) => a.get(n) !== b.get(n)).sort();
}

function describe(stage: PlannedStage, name: string, before: string, after: string): string {
  if (name === "dependencies" && !before.startsWith("sha256:") && !after.startsWith("sha256:")) {
    const files = changedFiles(before, after);
    return `files matching ${stage.name} dependencies changed: ${files.slice(0, 10).join(", ")}${files.length > 10 ? ", ..." : ""}`;
  }
  if (name === "files" && !before.startsWith("sha256:") && !after.startsWith("sha256:")) {
    const files = changedFiles(before.replace(/ (\S+) (\S+) (\S*)$/gm, " $2"), after.replace(/ (\S+) (\S+) (\S*)$/gm, " $2"));
    return `git files changed: ${files.slice(0, 10).join(", ")}${files.length > 10 ? ", ..." : ""}`;
  }
  if (name === "context" && !before.startsWith("sha256:") && !after.startsWith("sha256:")) {
    const files = changedFiles(before, after);
    return `context files changed: ${files.slice(0, 10).join(", ")}${files.length > 10 ? ", ..." : ""}`;
  }
  return `${name} changed`;
}

/**
 * Says why a stage must be built: which named input differs from the nearest build
 * of the same stage of the same image that the engine has.
 */
export function explainMiss(stage: PlannedStage, candidates: LocalImage[], parentName: string | undefined): string {
  const own = fingerprint(stage.inputs);
  let best: { diffs: string[]; parentSame: boolean } | undefined;
  for (const candidate of candidates) {
    const labels = candidate.config.config.Labels ?? {};
    let theirs: Record<string, string>;
    try {
      theirs = JSON.parse(labels[LABELS.inputs] ?? "{}") as Record<string, string>;
    } catch {
      continue;
    }
    const diffs = Object.keys({ ...own, ...theirs }).filter((k) => own[k] !== theirs[k]).map((k) => describe(stage, k, theirs[k] ?? "", own[k] ?? ""));
    const parentSame = labels[LABELS.parent] === (stage.parent ?? "");
    const score = diffs.length + (parentSame ? 0 : 1);
    if (!best || score < best.diffs.length + (best.parentSame ? 0 : 1)) best = { diffs, parentSame };
  }
  if (!best) return "no earlier build of this stage";
  if (best.diffs.length > 0) return best.diffs.join("; ");
  if (!best.parentSame) return `parent stage ${parentName ?? "?"} changed`;
  return "stage image missing";
}

/**
 * What identifies "the same stage" across builds: its name, or for a Dockerfile stage
 * (`RUN#4 make ...`) the instruction and its number, so an edited command is
 * explained as `instruction changed` rather than as a stage never built.
 */
export function stageKey(name: string): string {
  return /^[A-Z]+#\d+/.exec(name)?.[0] ?? name;
}

/** Earlier builds of one stage of one image, for explanations. */
export async function earlierBuilds(engine: Engine, project: string, image: string, stage: string): Promise<LocalImage[]> {
  const labels = { [LABELS.project]: project, [LABELS.image]: image || "_" };
  if (stageKey(stage) === stage) return engine.listImages({ ...labels, [LABELS.stage]: stage });
  const all = await engine.listImages(labels);
  return all.filter((i) => stageKey(i.config.config.Labels?.[LABELS.stage] ?? "") === stageKey(stage));
}
