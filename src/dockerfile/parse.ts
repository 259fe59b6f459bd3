/**
 * Reads a Dockerfile with dockerfile-ast (the parser editors use) into build stages
 * of instructions, each with its line. Syntax slipway cannot honour is refused here,
 * by name and file:line, before anything is planned.
 */
import { DockerfileParser } from "dockerfile-ast";
import { ConfigError } from "../errors.ts";
import { badArguments } from "./syntax.ts";

export interface Instruction {
  keyword: string;
  /** 1-based line of the instruction's first line. */
  line: number;
  /** Arguments with line continuations removed and flags taken out. */
  args: string;
  flags: Map<string, string | null>;
  /** Exec form (`["a", "b"]`) when the arguments are a JSON array of strings. */
  json?: string[];
  /** RUN --mount values, in order (the flag may repeat). */
  mounts?: string[];
  /** Here-documents (`<<EOF`) of RUN, COPY, ADD, in order; `args` is then the first line only. */
  heredocs?: Heredoc[];
}

export interface Heredoc {
  name: string;
  /** The lines between the operator's line and the delimiter, each ending in a newline, as written. */
  content: string;
  /** `<<-`: leading tabs are stripped from every line. */
  chomp: boolean;
  /** The name is unquoted: COPY/ADD expand variables in the content. */
  expand: boolean;
}

/** The content as BuildKit uses it: with `<<-`, leading tabs of every line removed. */
export function heredocData(doc: Heredoc): string {
  return doc.chomp ? doc.content.replace(/^\t+/gm, "") : doc.content;
}

/** The heredoc operators of a command line (`<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`), in order. */
export function heredocWords(line: string): { word: string; name: string; chomp: boolean; expand: boolean }[] {
  return [...line.matchAll(/<<(-?)(["']?)([^\s"'<>|&;]+)\2/g)].map((m) => ({ word: m[0], name: m[3], chomp: m[1] === "-", expand: m[2] === "" }));
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
  RUN: ["network", "mount"],
  COPY: ["from", "chown", "chmod", "link"],
  ADD: ["chown", "chmod", "link", "checksum", "unpack", "keep-git-dir"],
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

export function dockerfileError(file: string, line: number, detail: string): ConfigError {
  return new ConfigError(file, line, undefined, undefined, detail);
}

type Node = ReturnType<ReturnType<typeof DockerfileParser.parse>["getInstructions"]>[number];

interface Range { start: { line: number }; end: { line: number } }
interface AstHeredoc { getName(): string; getContentRange(): Range | null; getDelimiterRange(): Range | null }

/** The instruction's here-documents, their content taken from the file's lines (dockerfile-ast gives ranges). */
function heredocsOf(file: string, keyword: string, line: number, node: Node, lines: string[], args: string): Heredoc[] | undefined {
  const found = (node as unknown as { getHeredocs?: () => AstHeredoc[] }).getHeredocs?.() ?? [];
  if (found.length === 0) return undefined;
  if (!["RUN", "COPY", "ADD"].includes(keyword)) throw dockerfileError(file, line, `${keyword}: heredocs (<<EOF) are not supported`);
  const words = heredocWords(args.split("\n")[0]);
  return found.map((h, i) => {
    const end = h.getDelimiterRange();
    if (!end) throw dockerfileError(file, line, `${keyword}: heredoc ${h.getName()} has no closing delimiter`);
    const word = words[i];
    if (!word || word.name !== h.getName()) throw dockerfileError(file, line, `${keyword}: heredoc ${h.getName()} could not be read`);
    const range = h.getContentRange();
    const content = range ? lines.slice(range.start.line, end.start.line).map((l) => `${l}\n`).join("") : "";
    return { name: word.name, content, chomp: word.chomp, expand: word.expand };
  });
}

function toInstruction(file: string, node: Node, lines: string[]): Instruction {
  const keyword = node.getKeyword().toUpperCase();
  const line = node.getRange().start.line + 1;
  if (!KNOWN.has(keyword)) throw dockerfileError(file, line, `unknown instruction: ${node.getKeyword()}`);
  const flags = new Map<string, string | null>();
  const mounts: string[] = [];
  const withFlags = node as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] };
  for (const flag of withFlags.getFlags?.() ?? []) {
    const name = flag.getName();
    if (!(FLAGS[keyword] ?? []).includes(name)) throw dockerfileError(file, line, `${keyword} --${name} is not supported`);
    if (name === "mount") mounts.push(flag.getValue() ?? "");
    else flags.set(name, flag.getValue());
  }
  const content = node.getArgumentsContent() ?? "";
  const heredocs = heredocsOf(file, keyword, line, node, lines, content);
  const more = mounts.length > 0 ? { mounts } : {};
  const bad = badArguments(keyword, heredocs ? content.split("\n")[0] : content, flags, heredocs !== undefined);
  if (bad) throw dockerfileError(file, line, bad);
  if (heredocs) return { keyword, line, args: content.split("\n")[0], flags, heredocs, ...more };
  return { keyword, line, args: content, flags, json: execForm(content), ...more };
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
  // dockerfile-ast is bundled like every small dependency: compiled from the CLI's code
  // cache (the build's warm-up parses a Dockerfile), not loaded from node_modules on first use.
  const doc = DockerfileParser.parse(text);
  const globalArgs: Instruction[] = [];
  const stages: BuildStage[] = [];
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const problems: ConfigError[] = [];
  for (const node of doc.getInstructions()) {
    let ins: Instruction;
    try {
      ins = toInstruction(file, node, lines);
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
