/**
 * The stages of a Dockerfile image, one per instruction: FROM starts a chain (no
 * parent in its digest), RUN runs on the engine, COPY/ADD is a file layer built in
 * Node, everything else changes only the config. Digests come from named inputs:
 * the expanded instruction, the build args it can see (hashed), the content of the
 * files it copies, the source stage's digest; the parent digest is added by the planner.
 */
import { stageDigest, sha256Hex, type NamedInput } from "../build/digest.ts";
import { posix } from "node:path";
import { buildLayer, withParents, type LayerEntry, type Stat } from "../build/layer.ts";
import type { RuntimeConfig } from "../image/index.ts";
import { repoComponent, stageRef } from "../build/names.ts";
import type { LayerBuilder, Stage, StageChange, StageContext, StageName } from "../build/stage.ts";
import { BuildError } from "../errors.ts";
import { applyInstruction } from "./config.ts";
import { contextEntries, hardLinks, MissingStagePath, stageEntries, writeStagePath } from "./copy.ts";
import { copiesDirectory } from "./context.ts";
import { FetchError } from "./url.ts";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunBind } from "../engine/types.ts";
import type {  } from "../image/index.ts";
import { mountBind, mountInput } from "./mounts.ts";
import { MissingSecret, secretRunParts, type SecretMount, type SshMount } from "./secret-mounts.ts";
import { secretDigestInput } from "../build/secrets/values.ts";
import { dockerfileError } from "./parse.ts";
import { HEREDOC_PIPES } from "./heredoc.ts";
import type { DockerfileBuild, InlineFile, Op, Step } from "./types.ts";

/** Build args as `NAME=sha256:...` lines: which one changed is explainable, no value is stored. */
function hashedArgs(args: [string, string][]): string {
  return args.map(([k, v]) => `${k}=sha256:${sha256Hex(v)}`).sort().join("\n");
}

function fromImage(ctx: StageContext, ref: string): { inputs: NamedInput[]; change: StageChange } {
  if (ref === "scratch") return { inputs: [["base", "scratch"]], change: { kind: "base", ref: "scratch", local: false } };
  const digest = ctx.baseDigest(ref);
  if (!digest) throw new BuildError(ctx.image.name, "from", `base image ${ref} is not resolved`);
  const repo = ref.includes("@") ? ref.slice(0, ref.indexOf("@")) : ref.replace(/:[^:/]+$/, "");
  return { inputs: [["baseDigest", digest]], change: { kind: "base", ref: `${repo}@${digest}`, local: false, indexFiles: true } };
}

/** A COPY/ADD/WORKDIR layer: with its parent directories as the parent image has them (BuildKit's diff). */
async function fileLayer(entries: LayerEntry[], stat: Stat | undefined) {
  return buildLayer(stat && entries.length > 0 ? await withParents(entries, stat) : entries);
}

/**
 * WORKDIR as BuildKit does it: the directory and its missing parents are created
 * (mode 0755, owned by the current USER); existing ones are left alone, which only
 * an engine holding the parent can tell.
 */
function workdir(build: DockerfileBuild, step: Step, op: Extract<Op, { op: "config" }>): Made {
  const apply = (config: RuntimeConfig) => applyInstruction(config, step.ins, op.args, build.file, build.escape, op.cmdSet);
  return {
    kind: "dockerfile-workdir",
    inputs: [["instruction", `${step.ins.keyword} ${step.ins.args}`], ["buildArgs", hashedArgs(op.args)]],
    change: () => ({
      kind: "files",
      apply,
      layer: async (owners, _parentLabels, config, stat) => {
        const dir = apply(config ?? {}).WorkingDir ?? "/";
        const [user, group] = (config?.User ?? "").split(":");
        const owner = user ? await owners(user, group || undefined) : { uid: 0, gid: 0 };
        const entries: LayerEntry[] = [];
        for (let d = dir; d !== "/" && stat && !(await stat(d)); d = posix.dirname(d)) entries.push({ type: "directory", path: d, mode: 0o755, ...owner, made: user ? "chown" : "inherit" });
        return fileLayer(entries, stat);
      },
    }),
  };
}

/** The `#!` heredoc of a RUN as the 0755 file BuildKit mounts (chmod: the umask must not mask it). */
async function writeScript(dir: string, script: InlineFile | undefined): Promise<void> {
  if (!script) return;
  await chmod(dir, 0o755);
  await writeFile(join(dir, script.name), script.content);
  await chmod(join(dir, script.name), 0o755);
}

/** RUN --mount=type=cache directories: per node (SLIPWAY_HOME) and project. */
function cacheRoot(ctx: StageContext): string {
  return join(posix.dirname(ctx.buildDir), "cache-mounts", repoComponent(ctx.project));
}

interface Made {
  kind: string;
  inputs: NamedInput[];
  change: () => StageChange;
  needs?: string[];
}

/**
 * What goes wrong while a COPY/ADD layer is made (a URL that cannot be fetched, a
 * source path missing in a stage) is a build error at the instruction's line.
 */
function atLine(ctx: StageContext, build: DockerfileBuild, step: Step, layer: LayerBuilder): LayerBuilder {
  return async (...args) => {
    try {
      return await layer(...args);
    } catch (err) {
      if (err instanceof FetchError || err instanceof MissingStagePath) {
        throw new BuildError(ctx.image.name, step.label, `${step.ins.keyword}: ${err.message}`, undefined, { file: build.file, line: step.ins.line });
      }
      throw err;
    }
  };
}

/** COPY/ADD: of context files (their content hashes), or of a source stage's files (its digest). */
function copyStage(ctx: StageContext, build: DockerfileBuild, step: Step, op: Extract<Op, { op: "copy" }>, source: (index: number) => string): Made {
  const urls = op.urls ?? [];
  const spec = { dest: op.dest, chown: op.chown, chmod: op.chmod, urls, unpack: op.unpack };
  // ADD's URLs and --unpack are appended only when written: every other COPY/ADD keeps its digest.
  const addOnly = [...(urls.length > 0 ? [urls.map((u) => u.url)] : []), ...(op.unpack !== undefined ? [`unpack=${op.unpack}`] : [])];
  const instruction: NamedInput = ["instruction", JSON.stringify([step.ins.keyword, op.sources, op.dest, op.chown ?? "", op.chmod ?? "", ...addOnly])];
  if (op.from) {
    const digest = source(op.from.index);
    const ref = stageRef(ctx.project, digest);
    return {
      kind: "dockerfile-copy-from",
      inputs: [instruction, ["fromStage", digest]],
      needs: [digest],
      change: () => ({ kind: "files", layer: atLine(ctx, build, step, async (owners, _parentLabels, config, stat) => fileLayer(await stageEntries(ctx.engine, ref, op.sources, spec, owners, config, stat), stat)) }),
    };
  }
  const selected = op.selected ?? [];
  // A hard link names the file it links to (appended only then: every other COPY keeps its digest).
  const links = hardLinks(selected);
  const lines = selected.map((s) => `${s.entry.path}${s.entry.type === "directory" ? "/" : ""} ${s.entry.mode.toString(8)}:${s.hash}${s.unpack ? " unpacked" : ""}${links.has(s) ? ` link:${links.get(s)?.entry.path}` : ""}`).join("\n");
  const directory = copiesDirectory(build.context, op.sources);
  const inline = op.inline ?? [];
  const heredocs: NamedInput[] = inline.length > 0 ? [["heredocs", inline.map((f) => `${f.name} sha256:${sha256Hex(f.content)}`).join("\n")]] : [];
  if (urls.length > 0) heredocs.push(["urls", urls.map((u) => `${u.url} ${u.digest}`).join("\n")]);
  return {
    kind: "dockerfile-copy",
    inputs: [instruction, ["context", lines], ...heredocs],
    change: () => ({ kind: "files", layer: atLine(ctx, build, step, async (owners, _parentLabels, config, stat) => fileLayer(await contextEntries(build.context, selected, { ...spec, directory }, owners, config, stat, inline), stat)) }),
  };
}

function make(ctx: StageContext, build: DockerfileBuild, step: Step, last: Map<number, string>): Made {
  const op: Op = step.op;
  const source = (index: number) => {
    const digest = last.get(index);
    if (!digest) throw new BuildError(ctx.image.name, step.label, `stage ${index} has not been planned`);
    return digest;
  };
  switch (op.op) {
    case "from-image": {
      const { inputs, change } = fromImage(ctx, op.ref);
      return { kind: "dockerfile-from", inputs, change: () => change };
    }
    case "from-stage": {
      const digest = source(op.index);
      return { kind: "dockerfile-from", inputs: [["fromStage", digest]], needs: [digest], change: () => ({ kind: "base", ref: stageRef(ctx.project, digest), local: true }) };
    }
    case "run": {
      const script = op.script;
      // A `#!` heredoc is a file mounted read-only for the run, as BuildKit does: its content is an input.
      const pipes: RunBind = { source: "", target: HEREDOC_PIPES, readOnly: true, fill: async (dir) => writeScript(dir, script) };
      const all = op.mounts ?? [];
      const mounts = all.filter((m): m is Exclude<typeof m, SecretMount | SshMount> => m.type !== "secret" && m.type !== "ssh");
      const secret = secretParts(ctx, build, step, all.filter((m): m is SecretMount | SshMount => m.type === "secret" || m.type === "ssh"));
      // A bind from a stage names that stage's digest (its files are then read through the engine).
      const fromDigest = (m: (typeof all)[number]) => (m.type === "bind" && m.fromStage !== undefined ? source(m.fromStage) : undefined);
      const needs = [...new Set(mounts.flatMap((m) => fromDigest(m) ?? []))];
      const mountLines = all.map((m) => `${mountInput(m)}${fromDigest(m) ? ` from ${fromDigest(m)}` : ""}`);
      const stageFiles = (digest: string) => (path: string, dir: string) => writeStagePath(ctx.engine, stageRef(ctx.project, digest), path, dir);
      const binds = [...(script ? [pipes] : []), ...mounts.map((m) => {
        const digest = fromDigest(m);
        return mountBind(m, build.context, cacheRoot(ctx), digest ? stageFiles(digest) : undefined);
      })];
      return {
        kind: "dockerfile-run",
        inputs: [
          ["instruction", JSON.stringify(op.argv)], ...(script ? [["heredoc", script.content] as NamedInput] : []),
          ...(all.length > 0 ? [["mounts", mountLines.join("\n")] as NamedInput] : []),
          // Only with rebuildOnChange, as salted hashes: by default a secret is in no digest.
          ...(secret.rotating.length > 0 ? [["secrets", secretDigestInput(secret.rotating)] as NamedInput] : []),
          ["buildArgs", hashedArgs(op.env)], ["network", String(op.network)],
        ],
        ...(needs.length > 0 ? { needs } : {}),
        change: () => ({
          kind: "run", script: op.argv.join(" "), argv: op.argv, env: () => op.env.map(([k, v]) => `${k}=${v}`), imageUser: true, network: op.network,
          binds: [...binds, ...secret.binds()], secretEnv: secret.env,
        }),
      };
    }
    case "copy":
      return copyStage(ctx, build, step, op, source);
    case "config":
      if (step.ins.keyword === "WORKDIR") return workdir(build, step, op);
      return {
        kind: "dockerfile-config",
        inputs: [["instruction", `${step.ins.keyword} ${step.ins.args}`], ["buildArgs", hashedArgs(op.args)], ["cmdSet", String(op.cmdSet)]],
        change: () => ({ kind: "config", apply: (config) => applyInstruction(config, step.ins, op.args, build.file, build.escape, op.cmdSet) }),
      };
  }
}

/** The run's secret and ssh mounts with the build's values; a missing one is an error at the RUN's line. */
function secretParts(ctx: StageContext, build: DockerfileBuild, step: Step, mounts: (SecretMount | SshMount)[]) {
  try {
    return secretRunParts(mounts, ctx.secrets, ctx.sshSocket);
  } catch (err) {
    if (err instanceof MissingSecret) throw dockerfileError(build.file, step.ins.line, err.message);
    throw err;
  }
}

/**
 * The Dockerfile stages whose files a COPY/ADD or WORKDIR (a file layer made in Node)
 * writes into: those that have one, and those a stage that does is built `FROM`.
 */
function filesWritten(steps: Step[]): Set<number> {
  const writes = new Set(steps.filter((s) => s.op.op === "copy" || (s.op.op === "config" && s.ins.keyword === "WORKDIR")).map((s) => s.stage));
  const from = new Map<number, number>();
  for (const s of steps) if (s.op.op === "from-stage") from.set(s.stage, s.op.index);
  const out = new Set<number>();
  for (const w of writes) for (let st: number | undefined = w; st !== undefined && !out.has(st); st = from.get(st)) out.add(st);
  return out;
}

/**
 * Every step as a stage. Digests are computed here too (with the planner's rule: a
 * FROM has no parent) so a FROM <stage> or COPY --from names the source's digest.
 */
export function dockerfileStages(ctx: StageContext, build: DockerfileBuild): Stage[] {
  const last = new Map<number, string>();
  const stages: Stage[] = [];
  let parent: string | undefined;
  const indexed = filesWritten(build.steps);
  for (const step of build.steps) {
    const made = make(ctx, build, step, last);
    // A base is indexed only under a stage that writes files into it without a container.
    if (step.op.op === "from-image" && !indexed.has(step.stage)) {
      const change = made.change;
      made.change = () => ({ ...change(), indexFiles: false }) as StageChange;
    }
    const root = step.op.op === "from-image" || step.op.op === "from-stage";
    const digest = stageDigest(made.kind, root ? undefined : parent, made.inputs);
    last.set(step.stage, digest);
    parent = digest;
    stages.push({
      name: step.label as StageName,
      kind: made.kind,
      root,
      readsNeeds: made.kind === "dockerfile-copy-from" || (made.kind === "dockerfile-run" && made.needs !== undefined),
      source: step.ins.line > 0 ? `${build.file}:${step.ins.line}` : undefined,
      isEmpty: () => false,
      inputs: () => made.inputs,
      change: made.change,
      ...(made.needs ? { needs: () => made.needs as string[] } : {}),
    });
  }
  return stages;
}
