/**
 * Docker's semantics over a parsed Dockerfile: which build stages the target needs
 * (FROM <stage>, COPY --from), global and per-stage ARG scoping with build args
 * overriding defaults, static ENV/SHELL tracking for expansion, and one step per
 * instruction.
 */
import { ConfigError } from "../errors.ts";
import { expandWord, lookupIn } from "./expand.ts";
import { dockerfileError, type BuildStage, type Instruction, type ParsedDockerfile } from "./parse.ts";
import { MountError, parseMount } from "./mounts.ts";
import { argDeclarations, expandOrFail, stepOf, type StageScope } from "./steps.ts";
import type { Step } from "./types.ts";

export const ENGINE_PLATFORM = "linux/amd64";

/** BuildKit's automatic platform args: in the global scope, and in a stage once declared. */
const PLATFORM_ARGS = new Map([
  ["TARGETPLATFORM", ENGINE_PLATFORM], ["TARGETOS", "linux"], ["TARGETARCH", "amd64"], ["TARGETVARIANT", ""],
  ["BUILDPLATFORM", ENGINE_PLATFORM], ["BUILDOS", "linux"], ["BUILDARCH", "amd64"], ["BUILDVARIANT", ""],
]);

export interface ResolveOptions {
  target?: string;
  buildArgs: Record<string, string>;
  /** Default for RUN's network (RUN --network overrides). */
  network: boolean;
}

export interface Resolved {
  steps: Step[];
  target: number;
  baseImages: string[];
}

function globalScope(df: ParsedDockerfile, buildArgs: Record<string, string>): Map<string, string> {
  const globals = new Map(PLATFORM_ARGS);
  for (const ins of df.globalArgs) {
    for (const [name, raw] of argDeclarations(ins, df.file)) {
      const value = buildArgs[name] ?? (raw === undefined ? undefined : expandOrFail(df.file, ins, () => expandWord(raw, lookupIn(globals), df.escape)));
      if (value !== undefined) globals.set(name, value);
    }
  }
  return globals;
}

function stageByRef(df: ParsedDockerfile, ref: string, before: number): BuildStage | undefined {
  const lower = ref.toLowerCase();
  const found = /^\d+$/.test(ref) ? df.stages[Number(ref)] : df.stages.find((s) => s.name === lower);
  return found && found.index < before ? found : undefined;
}

/** The FROM image of a stage, expanded with the global args. */
function fromRef(df: ParsedDockerfile, stage: BuildStage, globals: Map<string, string>): string {
  const word = stage.from.args.trim().split(/\s+/)[0];
  const ref = expandOrFail(df.file, stage.from, () => expandWord(word, lookupIn(globals), df.escape));
  if (ref === "") throw dockerfileError(df.file, stage.from.line, `FROM ${word}: the image name expands to nothing`);
  return ref;
}

/** The raw `from` of a COPY --from and of RUN --mount=type=bind,from= (a bad mount is reported by its step). */
function sourcesOf(ins: Instruction): string[] {
  const copy = ins.keyword === "COPY" ? ins.flags.get("from") : undefined;
  if (copy !== undefined) return copy === null ? [] : [copy];
  const out: string[] = [];
  for (const text of ins.keyword === "RUN" ? ins.mounts ?? [] : []) {
    try {
      const mount = parseMount(text);
      if (mount.type === "bind" && mount.from) out.push(mount.from);
    } catch (err) {
      if (!(err instanceof MountError)) throw err;
    }
  }
  return out;
}

/** Build stages (and images, for COPY --from=<image> and mounts from one) a stage depends on. */
function dependencies(df: ParsedDockerfile, stage: BuildStage, globals: Map<string, string>): { stages: number[]; images: string[] } {
  const stages: number[] = [];
  const images: string[] = [];
  const parent = stageByRef(df, fromRef(df, stage, globals), stage.index);
  if (parent) stages.push(parent.index);
  for (const ins of stage.instructions) {
    for (const raw of sourcesOf(ins)) {
      const from = expandOrFail(df.file, ins, () => expandWord(raw, lookupIn(globals), df.escape));
      const source = stageByRef(df, from, stage.index);
      if (source) stages.push(source.index);
      else if (/^\d+$/.test(from) || df.stages.some((s) => s.name === from.toLowerCase())) {
        throw dockerfileError(df.file, ins.line, `${ins.keyword} ${ins.keyword === "RUN" ? "--mount=from" : "--from"}=${from}: a stage can only use an earlier stage`);
      } else images.push(from);
    }
  }
  return { stages, images };
}

function targetStage(df: ParsedDockerfile, target: string | undefined): BuildStage {
  if (target === undefined) return df.stages.at(-1) as BuildStage;
  const found = df.stages.find((s) => s.name === target.toLowerCase());
  // The target comes from --target or the config, not from a line of the Dockerfile: no line to point at.
  if (!found) throw new ConfigError(df.file, undefined, undefined, undefined, `target stage ${JSON.stringify(target)} is not in the Dockerfile (stages: ${df.stages.map((s) => s.name ?? String(s.index)).join(", ")})`);
  return found;
}

export function resolveDockerfile(df: ParsedDockerfile, opts: ResolveOptions): Resolved {
  const globals = globalScope(df, opts.buildArgs);
  const target = targetStage(df, opts.target);
  const order: number[] = [];
  const copyImages: string[] = [];
  const visit = (index: number) => {
    if (order.includes(index)) return;
    const deps = dependencies(df, df.stages[index], globals);
    deps.stages.forEach(visit);
    copyImages.push(...deps.images.filter((i) => !copyImages.includes(i)));
    order.push(index);
  };
  visit(target.index);
  const steps: Step[] = [];
  const scopes = new Map<number, StageScope>();
  const baseImages = new Set<string>();
  const numbers = new Map(df.stages.flatMap((s) => [s.from, ...s.instructions]).map((ins, i) => [ins, i + 1]));
  // COPY --from=<image>: the image is a build stage of its own, numbered after the file's stages.
  const imageStage = new Map(copyImages.map((ref, i) => [ref, df.stages.length + i]));
  for (const [ref, index] of imageStage) {
    baseImages.add(ref);
    const ins: Instruction = { keyword: "FROM", line: 0, args: ref, flags: new Map() };
    steps.push({ stage: index, ins, label: `FROM ${ref}`, op: { op: "from-image", ref } });
  }
  for (const index of order) {
    const stage = df.stages[index];
    const ref = fromRef(df, stage, globals);
    const parent = stageByRef(df, ref, stage.index);
    const inherited = parent ? scopes.get(parent.index) : undefined;
    const scope: StageScope = {
      df, globals, buildArgs: opts.buildArgs, network: opts.network, platformArgs: PLATFORM_ARGS,
      args: new Map(), env: new Map(inherited?.env ?? []), shell: inherited?.shell ?? ["/bin/sh", "-c"], workdir: inherited?.workdir ?? "/", cmdSet: false,
      stageOf: (from) => stageByRef(df, from, stage.index)?.index ?? imageStage.get(from),
    };
    scopes.set(index, scope);
    for (const ins of [stage.from, ...stage.instructions]) {
      const number = numbers.get(ins) ?? 0;
      const step = stepOf(scope, ins, number, index, parent ? { op: "from-stage", index: parent.index } : { op: "from-image", ref });
      if (step === undefined) continue;
      if (step.op.op === "from-image" && step.op.ref !== "scratch") baseImages.add(step.op.ref);
      steps.push(step);
    }
  }
  return { steps, target: target.index, baseImages: [...baseImages] };
}
