/** One instruction of a build stage as a step: ARG scoping, static ENV/SHELL, expansion of COPY/ADD. */
import { posix } from "node:path";
import { expandWord, expandWords, lookupIn, rawWords } from "./expand.ts";
import { dockerfileError, type Instruction, type ParsedDockerfile } from "./parse.ts";
import { ExpandError } from "./expand.ts";
import { copyWords, runCommand } from "./heredoc.ts";
import { MountError, parseMount } from "./mounts.ts";
import type { Op, Step } from "./types.ts";
import { addSources } from "./add.ts";

/** What a build stage knows while its instructions are read, in order. */
export interface StageScope {
  df: ParsedDockerfile;
  globals: Map<string, string>;
  buildArgs: Record<string, string>;
  platformArgs: Map<string, string>;
  network: boolean;
  /** ARGs declared in this stage that have a value. */
  args: Map<string, string>;
  /** ENV set by this Dockerfile (and the stage it is FROM), for expanding COPY/ADD. */
  env: Map<string, string>;
  shell: string[];
  /**
   * The WORKDIR as this Dockerfile sets it (relative RUN --mount targets are under it, as
   * in BuildKit); "/" until a WORKDIR, as a base image's own is not known when planning.
   */
  workdir: string;
  /** A CMD came earlier in this stage (then ENTRYPOINT keeps it). */
  cmdSet: boolean;
  /** Index of the build stage a COPY --from names, undefined when it names none. */
  stageOf(from: string): number | undefined;
}

/** ARG name[=default] ...: the declared names with their raw defaults. */
export function argDeclarations(ins: Instruction, file: string): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  for (const word of ins.args.trim().split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf("=");
    const name = eq < 0 ? word : word.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw dockerfileError(file, ins.line, `ARG: invalid name ${JSON.stringify(name)}`);
    out.push([name, eq < 0 ? undefined : word.slice(eq + 1)]);
  }
  if (out.length === 0) throw dockerfileError(file, ins.line, "ARG requires a name");
  return out;
}

export function expandOrFail<T>(file: string, ins: Instruction, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ExpandError) throw dockerfileError(file, ins.line, `${ins.keyword}: ${err.message}`);
    throw err;
  }
}

const CONFIG_KEYWORDS = new Set(["ENV", "LABEL", "WORKDIR", "USER", "EXPOSE", "VOLUME", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL", "ONBUILD", "SHELL", "MAINTAINER"]);

export function stepLabel(ins: Instruction, number: number): string {
  const flags = [...(ins.mounts ?? []).map((m) => `--mount=${m}`), ...[...ins.flags].map(([k, v]) => (v === null ? `--${k}` : `--${k}=${v}`))];
  const flat = [...flags, ins.args].join(" ").replace(/\s+/g, " ").trim();
  return `${ins.keyword}#${number}${flat ? ` ${flat.length > 40 ? `${flat.slice(0, 40)}...` : flat}` : ""}`;
}

/** `key=value ...` (or the legacy `key value`) of ENV and LABEL, expanded with `lookup`. */
export function keyValues(ins: Instruction, file: string, expand: (word: string) => string): [string, string][] {
  const words = rawWords(ins.args);
  if (words.length === 0) throw dockerfileError(file, ins.line, `${ins.keyword} requires at least one argument`);
  if (!words[0].includes("=")) {
    if (ins.keyword !== "ENV" || words.length < 2) throw dockerfileError(file, ins.line, `${ins.keyword} needs key=value`);
    return [[words[0], expand(ins.args.trim().slice(words[0].length).trim())]];
  }
  return words.map((w) => {
    const eq = w.indexOf("=");
    if (eq < 0) throw dockerfileError(file, ins.line, `${ins.keyword}: ${JSON.stringify(w)} is not key=value`);
    return [expand(w.slice(0, eq)), expand(w.slice(eq + 1))];
  });
}

function declareArgs(scope: StageScope, ins: Instruction): void {
  for (const [name, raw] of argDeclarations(ins, scope.df.file)) {
    const inherited = scope.globals.get(name) ?? scope.platformArgs.get(name);
    const fallback = raw === undefined ? inherited : expandOrFail(scope.df.file, ins, () => expandWord(raw, lookupIn(scope.env, scope.args), scope.df.escape));
    const value = scope.buildArgs[name] ?? fallback;
    if (value !== undefined) scope.args.set(name, value);
    else scope.args.delete(name);
  }
}

function runOp(scope: StageScope, ins: Instruction): Op {
  const network = ins.flags.get("network");
  if (network !== undefined && !["default", "none"].includes(network ?? "")) {
    throw dockerfileError(scope.df.file, ins.line, `RUN --network=${network} is not supported (default or none)`);
  }
  if (ins.args.trim() === "") throw dockerfileError(scope.df.file, ins.line, "RUN requires a command");
  const { argv, script } = runCommand(scope.shell, ins);
  const mounts = (ins.mounts ?? []).map((text) => {
    let mount;
    try {
      mount = parseMount(text, scope.workdir);
    } catch (err) {
      if (err instanceof MountError) throw dockerfileError(scope.df.file, ins.line, err.message);
      throw err;
    }
    if (mount.type !== "bind" || !mount.from) return mount;
    // Expanded with the global args, as the stage graph was (see resolve.ts).
    const from = expandOrFail(scope.df.file, ins, () => expandWord(mount.from ?? "", lookupIn(scope.globals), scope.df.escape));
    const index = scope.stageOf(from);
    if (index === undefined) throw dockerfileError(scope.df.file, ins.line, `RUN --mount from=${from}: no such stage or image`);
    return { ...mount, fromStage: index };
  });
  // Build args reach the command as environment variables; ENV of the same name wins, as in Docker.
  const env = [...scope.args].filter(([k]) => !scope.env.has(k));
  return { op: "run", argv, env, network: network === undefined ? scope.network : network === "default", ...(script ? { script } : {}), ...(mounts.length > 0 ? { mounts } : {}) };
}

function copyOp(scope: StageScope, ins: Instruction): Op {
  const { df } = scope;
  const lookup = lookupIn(scope.env, scope.args);
  const expand = (w: string) => expandOrFail(df.file, ins, () => expandWord(w, lookup, df.escape));
  const { words: expanded, inline } = ins.json
    ? { words: ins.json.map(expand), inline: [] }
    : copyWords(df.file, ins, df.escape, lookup, (w) => expandOrFail(df.file, ins, () => expandWords(w, lookup, df.escape)));
  if (expanded.length + inline.length < 2) throw dockerfileError(df.file, ins.line, `${ins.keyword} requires at least one source and a destination`);
  const sources = expanded.slice(0, -1);
  const dest = expanded.at(-1) as string;
  if (inline.length > 0) {
    const destIsDir = dest.endsWith("/") || dest === "." || dest.endsWith("/.");
    if (sources.length + inline.length > 1 && !destIsDir) throw dockerfileError(df.file, ins.line, `${ins.keyword}: with more than one source file the destination must be a directory and end with a /`);
    if (ins.flags.has("from")) throw dockerfileError(df.file, ins.line, `${ins.keyword} --from with a heredoc is not supported`);
  }
  const add = ins.keyword === "ADD" ? addSources(scope, ins, sources, dest) : undefined;
  const chmodText = ins.flags.get("chmod");
  if (chmodText !== undefined && !/^[0-7]{3,4}$/.test(chmodText ?? "")) {
    throw dockerfileError(df.file, ins.line, `${ins.keyword} --chmod=${chmodText}: only octal modes are supported`);
  }
  const chownText = ins.flags.get("chown");
  const op: Op = { op: "copy", sources: add?.local ?? sources, dest, ...(inline.length > 0 ? { inline } : {}), ...add?.more };
  if (chownText !== undefined && chownText !== null) op.chown = expand(chownText);
  if (chmodText !== undefined && chmodText !== null) op.chmod = parseInt(chmodText, 8);
  const from = ins.flags.get("from");
  if (from !== undefined) {
    // Expanded with the global args, as the stage graph was (see resolve.ts).
    const index = from === null ? undefined : scope.stageOf(expandOrFail(df.file, ins, () => expandWord(from, lookupIn(scope.globals), df.escape)));
    if (index === undefined) throw dockerfileError(df.file, ins.line, `COPY --from=${from ?? ""}: no such stage or image`);
    if (sources.some((s) => /[*?[]/.test(s))) throw dockerfileError(df.file, ins.line, "COPY --from with wildcards is not supported");
    op.from = { kind: "stage", index };
  }
  return op;
}

function checkConfig(scope: StageScope, ins: Instruction): void {
  const { file } = scope.df;
  if (ins.keyword === "SHELL") {
    if (!ins.json || ins.json.length === 0) throw dockerfileError(file, ins.line, "SHELL requires the arguments to be in JSON form");
    scope.shell = ins.json;
  }
  if (ins.keyword === "ONBUILD") {
    const trigger = ins.args.trim().split(/\s+/)[0]?.toUpperCase() ?? "";
    if (["ONBUILD", "FROM", "MAINTAINER", ""].includes(trigger)) throw dockerfileError(file, ins.line, `ONBUILD ${trigger} is not allowed`);
  }
  if (["WORKDIR", "USER", "STOPSIGNAL"].includes(ins.keyword) && ins.args.trim() === "") {
    throw dockerfileError(file, ins.line, `${ins.keyword} requires an argument`);
  }
  if (ins.keyword === "ENV") {
    const lookup = lookupIn(scope.env, scope.args);
    for (const [k, v] of keyValues(ins, file, (w) => expandOrFail(file, ins, () => expandWord(w, lookup, scope.df.escape)))) scope.env.set(k, v);
  }
  if (ins.keyword === "LABEL") keyValues(ins, file, (w) => w);
  if (ins.keyword === "WORKDIR") {
    const dir = expandOrFail(file, ins, () => expandWord(ins.args.trim(), lookupIn(scope.env, scope.args), scope.df.escape));
    scope.workdir = posix.resolve(scope.workdir, dir);
  }
}

export function stepOf(scope: StageScope, ins: Instruction, number: number, stage: number, fromOp: Op): Step | undefined {
  const label = stepLabel(ins, number);
  switch (ins.keyword) {
    case "FROM": {
      const platform = ins.flags.get("platform");
      if (platform !== undefined) {
        const value = expandOrFail(scope.df.file, ins, () => expandWord(platform ?? "", lookupIn(scope.globals), scope.df.escape));
        if (value !== "linux/amd64") throw dockerfileError(scope.df.file, ins.line, `FROM --platform=${value}: only linux/amd64 (the engine's platform) is supported`);
      }
      return { stage, ins, label, op: fromOp };
    }
    case "ARG":
      declareArgs(scope, ins);
      return undefined;
    case "RUN":
      return { stage, ins, label, op: runOp(scope, ins) };
    case "COPY":
    case "ADD":
      return { stage, ins, label, op: copyOp(scope, ins) };
    default:
      if (!CONFIG_KEYWORDS.has(ins.keyword)) throw dockerfileError(scope.df.file, ins.line, `${ins.keyword} is not supported`);
      checkConfig(scope, ins);
      if (ins.keyword === "CMD") scope.cmdSet = true;
      return { stage, ins, label, op: { op: "config", args: [...scope.args], cmdSet: scope.cmdSet } };
  }
}
