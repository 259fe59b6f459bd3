/**
 * Reads a Dockerfile with dockerfile-ast (the parser editors use) into build stages
 * of instructions, each with its line. Syntax slipway cannot honour is refused here,
 * by name and file:line, before anything is planned.
 */
import { DockerfileParser } from "dockerfile-ast";
import { ConfigError } from "../errors.ts";
import { parseDurationNs } from "../util/duration.ts";

export interface Instruction {
  keyword: string;
  /** 1-based line of the instruction's first line. */
  line: number;
  /** Arguments with line continuations removed and flags taken out. */
  args: string;
  flags: Map<string, string | null>;
  /** Exec form (`["a", "b"]`) when the arguments are a JSON array of strings. */
  json?: string[];
}

export interface BuildStage {
  index: number;
  /** `AS name`, lowercased as Docker compares stage names. */
  name?: string;
  from: Instruction;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  /** As shown in errors (relative to the context when inside it). */
  file: string;
  escape: string;
  /** ARG instructions before the first FROM. */
  globalArgs: Instruction[];
  stages: BuildStage[];
}

const KNOWN = new Set([
  "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
  "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
]);

/** Flags each instruction accepts; anything else is refused by name. */
const FLAGS: Record<string, string[]> = {
  FROM: ["platform"],
  RUN: ["network"],
  COPY: ["from", "chown", "chmod", "link"],
  ADD: ["chown", "chmod", "link"],
  HEALTHCHECK: ["interval", "timeout", "start-period", "start-interval", "retries"],
};

export function execForm(args: string): string[] | undefined {
  if (!args.trimStart().startsWith("[")) return undefined;
  try {
    const value: unknown = JSON.parse(args);
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
  } catch {
    return undefined; // Docker falls back to shell form
  }
}

/** `EXPOSE` port specs as Docker's nat.ParsePortSpec reads them: port or range, optional tcp/udp/sctp. */
export function badPortSpec(spec: string): string | undefined {
  const m = /^(\d+)(?:-(\d+))?(?:\/(.*))?$/.exec(spec);
  if (!m) return `invalid containerPort: ${spec}`;
  if (m[3] !== undefined && !["tcp", "udp", "sctp"].includes(m[3].toLowerCase())) return `invalid proto: ${m[3]}`;
  if (Number(m[1]) > 65535 || Number(m[2] ?? 0) > 65535) return `invalid containerPort: ${spec}`;
  return undefined;
}

/** HEALTHCHECK flags are not expanded (as in BuildKit), so they are checked with the syntax. */
function badHealthcheckFlag(flags: Map<string, string | null>): string | undefined {
  for (const name of ["interval", "timeout", "start-period", "start-interval"]) {
    const value = flags.get(name);
    if (value !== undefined && (value === null || parseDurationNs(value) === undefined)) return `HEALTHCHECK --${name}: invalid duration ${JSON.stringify(value ?? "")}`;
  }
  const retries = flags.get("retries");
  if (retries !== undefined && !/^\d+$/.test(retries ?? "")) return `HEALTHCHECK --retries: expected a whole number, got ${JSON.stringify(retries ?? "")}`;
  return undefined;
}

/** Arguments Docker refuses when it parses the file, before building anything. */
function badArguments(keyword: string, args: string, flags: Map<string, string | null>): string | undefined {
  if (keyword === "HEALTHCHECK") return badHealthcheckFlag(flags);
  if (keyword === "EXPOSE") {
    for (const spec of args.trim().split(/\s+/).filter((w) => w !== "" && !w.includes("$"))) {
      const why = badPortSpec(spec);
      if (why) return `EXPOSE: ${why}`;
    }
  }
  return undefined;
}

export function dockerfileError(file: string, line: number, detail: string): ConfigError {
  return new ConfigError(file, line, undefined, undefined, detail);
}

function toInstruction(file: string, node: ReturnType<ReturnType<typeof DockerfileParser.parse>["getInstructions"]>[number]): Instruction {
  const keyword = node.getKeyword().toUpperCase();
  const line = node.getRange().start.line + 1;
  if (!KNOWN.has(keyword)) throw dockerfileError(file, line, `unknown instruction: ${node.getKeyword()}`);
  const withHeredocs = node as unknown as { getHeredocs?: () => unknown[] };
  if ((withHeredocs.getHeredocs?.() ?? []).length > 0) throw dockerfileError(file, line, `${keyword}: heredocs (<<EOF) are not supported`);
  const flags = new Map<string, string | null>();
  const withFlags = node as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] };
  for (const flag of withFlags.getFlags?.() ?? []) {
    const name = flag.getName();
    if (!(FLAGS[keyword] ?? []).includes(name)) {
      const why = keyword === "RUN" && name === "mount" ? "RUN --mount is not supported" : `${keyword} --${name} is not supported`;
      throw dockerfileError(file, line, why);
    }
    flags.set(name, flag.getValue());
  }
  const args = node.getArgumentsContent() ?? "";
  const bad = badArguments(keyword, args, flags);
  if (bad) throw dockerfileError(file, line, bad);
  return { keyword, line, args, flags, json: execForm(args) };
}

/** A FROM starts a stage even when it is refused, so the lines after it are checked as a stage's. */
function fromStage(file: string, ins: Instruction, stages: BuildStage[], problems: ConfigError[]): BuildStage {
  const words = ins.args.trim().split(/\s+/);
  let name: string | undefined;
  if (words.length === 3 && words[1].toUpperCase() === "AS") name = words[2].toLowerCase();
  const why = words[0] === "" ? "FROM requires an image"
    : words.length !== 1 && name === undefined ? "FROM takes an image and optionally AS name"
    : name !== undefined && !/^[a-z][a-z0-9._-]*$/.test(name) ? `invalid stage name ${JSON.stringify(name)}`
    : name !== undefined && stages.some((s) => s.name === name) ? `duplicate stage name ${JSON.stringify(name)}`
    : undefined;
  if (why) problems.push(dockerfileError(file, ins.line, why));
  return { index: stages.length, name: why ? undefined : name, from: ins, instructions: [] };
}

/** Every problem of the file is found in one pass and thrown together, in line order. */
export function parseDockerfile(text: string, file: string): ParsedDockerfile {
  const doc = DockerfileParser.parse(text);
  const globalArgs: Instruction[] = [];
  const stages: BuildStage[] = [];
  const problems: ConfigError[] = [];
  for (const node of doc.getInstructions()) {
    let ins: Instruction;
    try {
      ins = toInstruction(file, node);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err);
      continue;
    }
    if (ins.keyword === "FROM") stages.push(fromStage(file, ins, stages, problems));
    else if (stages.length > 0) stages.at(-1)?.instructions.push(ins);
    else if (ins.keyword === "ARG") globalArgs.push(ins);
    else problems.push(dockerfileError(file, ins.line, `${ins.keyword} before the first FROM (only ARG may come before it)`));
  }
  if (stages.length === 0) problems.push(dockerfileError(file, 1, "the Dockerfile has no FROM instruction"));
  if (problems.length > 0) throw ConfigError.all(problems);
  return { file, escape: doc.getEscapeCharacter(), globalArgs, stages };
}
