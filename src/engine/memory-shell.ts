import { appendFile, readFile, writeFile } from "node:fs/promises";
import { posix } from "node:path";
import type { RunBind } from "./types.ts";
import type { MemoryFs } from "./memory-fs.ts";

/**
 * The in-memory engine's command model: a deterministic subset of `/bin/sh -c`, enough
 * for builds to be exercised without a container. Supported: commands separated by
 * newlines, `;`, `&&` and `||`; `set -e`/`set +e`; `#` comments; single and double
 * quotes; `$NAME` and `${NAME}` from the environment; `> file` and `>> file`; `NAME=value`;
 * and the commands `true`, `:`, `false`, `exit [n]`, `echo [-n]`, `cat`, `mkdir [-p]`,
 * `touch`, `rm [-r] [-f]`, `ln -s`, `chmod <octal>`, `cd` and `test -e|-f|-d`. Anything
 * else fails as a missing command does in a shell (exit 127, `sh: NAME: not found`).
 * Bind mounts are real host paths: reads and writes under their targets go there.
 */
export interface ShellIo {
  fs: MemoryFs;
  env: Map<string, string>;
  cwd: string;
  uid: number;
  gid: number;
  binds: RunBind[];
  out(text: string): void;
}

/** A word is literal text and variable names, expanded when its command runs (so `X=1; echo $X` sees X). */
type Part = { text: string } | { name: string };
type Token = { op: string } | { word: Part[] };
class Exit {
  constructor(readonly code: number) {}
}

const OPERATOR = /^(&&|\|\||>>|;|>)/;

/** A `$NAME` or `${NAME}` at `i`, or a literal `$`. */
function variable(line: string, i: number): [Part, number] {
  const m = /^\$(?:\{(\w+)\}|(\w+))/.exec(line.slice(i));
  return m ? [{ name: m[1] ?? m[2] }, i + m[0].length] : [{ text: "$" }, i + 1];
}

/** Words and operators of one line; `$` is expanded outside single quotes. */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let word: Part[] | undefined;
  const end = () => {
    if (word !== undefined) tokens.push({ word });
    word = undefined;
  };
  for (let i = 0; i < line.length; ) {
    const c = line[i];
    const op = OPERATOR.exec(line.slice(i))?.[1];
    if (/\s/.test(c)) end(), i++;
    else if (c === "#" && word === undefined) break;
    else if (op) end(), tokens.push({ op }), (i += op.length);
    else if (c === "'") {
      const close = line.indexOf("'", i + 1);
      (word ??= []).push({ text: line.slice(i + 1, close < 0 ? undefined : close) });
      i = close < 0 ? line.length : close + 1;
    } else if (c === '"') {
      word ??= [{ text: "" }];
      for (i++; i < line.length && line[i] !== '"'; ) {
        if (line[i] === "$") {
          const [part, next] = variable(line, i);
          word.push(part);
          i = next;
        } else if (line[i] === "\\" && i + 1 < line.length) word.push({ text: line[i + 1] }), (i += 2);
        else word.push({ text: line[i++] });
      }
      i++;
    } else if (c === "$") {
      const [part, next] = variable(line, i);
      (word ??= []).push(part);
      i = next;
    } else (word ??= []).push({ text: c }), i++;
  }
  end();
  return tokens;
}

function expand(word: Part[], env: Map<string, string>): string {
  return word.map((p) => ("text" in p ? p.text : env.get(p.name) ?? "")).join("");
}

/** Runs `/bin/sh -c script`; resolves to the exit code. */
export async function runScript(script: string, io: ShellIo): Promise<number> {
  let status = 0;
  let errexit = false;
  try {
    for (const line of script.split("\n")) {
      let connector = ";";
      let words: string[] = [];
      let redirect: Redirect | undefined;
      const tokens = [...tokenize(line), { op: ";" }];
      for (const token of tokens) {
        if ("word" in token) {
          if (redirect && redirect.path === undefined) redirect.path = expand(token.word, io.env);
          else words.push(expand(token.word, io.env));
          continue;
        }
        if (token.op === ">" || token.op === ">>") {
          redirect = { append: token.op === ">>" };
          continue;
        }
        if (words.length > 0 && (connector === ";" || (connector === "&&") === (status === 0))) {
          if (words[0] === "set") errexit = words.includes("-e") ? true : words.includes("+e") ? false : errexit;
          status = await simple(words, redirect, io);
          if (errexit && status !== 0 && token.op === ";") throw new Exit(status);
        }
        connector = token.op;
        words = [];
        redirect = undefined;
      }
    }
  } catch (err) {
    if (err instanceof Exit) return err.code;
    throw err;
  }
  return status;
}

/** Runs one argv (exec form): `sh -c script` or a single command. */
export async function runArgv(argv: string[], io: ShellIo): Promise<number> {
  if (/(^|\/)sh$/.test(argv[0] ?? "") && argv[1] === "-c") return runScript(argv[2] ?? "", io);
  try {
    return await simple([posix.basename(argv[0] ?? ""), ...argv.slice(1)], undefined, io);
  } catch (err) {
    if (err instanceof Exit) return err.code;
    throw err;
  }
}

function hostPath(io: ShellIo, path: string): string | undefined {
  for (const b of io.binds) {
    if (path === b.target) return b.source;
    if (path.startsWith(`${b.target.replace(/\/$/, "")}/`)) return posix.join(b.source, path.slice(b.target.replace(/\/$/, "").length + 1));
  }
  return undefined;
}

async function readPathText(io: ShellIo, path: string): Promise<Buffer | undefined> {
  const host = hostPath(io, path);
  if (host) return readFile(host).catch(() => undefined);
  const e = io.fs.get(path);
  return e?.type === "file" ? e.content : undefined;
}

async function writeText(io: ShellIo, path: string, text: string, append: boolean): Promise<void> {
  const host = hostPath(io, path);
  if (host) return append ? appendFile(host, text) : writeFile(host, text);
  const before = io.fs.get(path);
  const content = Buffer.concat([append && before?.type === "file" ? before.content : Buffer.alloc(0), Buffer.from(text)]);
  io.fs.set(path, { type: "file", mode: before?.type === "file" ? before.mode : 0o644, uid: io.uid, gid: io.gid, content });
}

type Redirect = { append: boolean; path?: string };

/** A command's view of the shell: arguments, its output so far, and the shell's state. */
interface Call {
  args: string[];
  io: ShellIo;
  abs(path: string): string;
  say(text: string): void;
  /** Writes an error message and returns 1. */
  fail(text: string): number;
}

type Builtin = (call: Call) => Promise<number> | number;

async function mkdir({ args, io, abs, fail }: Call): Promise<number> {
  const parents = args.includes("-p");
  let status = 0;
  for (const p of args.filter((a) => !a.startsWith("-"))) {
    const exists = io.fs.get(abs(p));
    if (exists && !parents) status = fail(`mkdir: can't create directory '${p}': File exists\n`);
    else if (!exists && !parents && !io.fs.get(posix.dirname(abs(p)))) status = fail(`mkdir: can't create directory '${p}': No such file or directory\n`);
    else if (!exists) {
      const parts = abs(p).split("/").filter(Boolean);
      for (let i = 1; i <= parts.length; i++) {
        const dir = `/${parts.slice(0, i).join("/")}`;
        if (!io.fs.get(dir)) io.fs.set(dir, { type: "directory", mode: 0o755, uid: io.uid, gid: io.gid });
      }
    }
  }
  return status;
}

const BUILTINS: Record<string, Builtin> = {
  true: () => 0,
  ":": () => 0,
  set: () => 0,
  false: () => 1,
  exit: ({ args }) => {
    throw new Exit(Number(args[0] ?? 0));
  },
  echo: ({ args, say }) => (say(args[0] === "-n" ? args.slice(1).join(" ") : `${args.join(" ")}\n`), 0),
  cd: ({ args, io, abs, fail }) => {
    if (io.fs.get(abs(args[0] ?? "/"))?.type !== "directory") return fail(`sh: cd: can't cd to ${args[0]}\n`);
    io.cwd = abs(args[0] ?? "/");
    return 0;
  },
  cat: async ({ args, io, abs, say, fail }) => {
    let status = 0;
    for (const p of args) {
      const text = await readPathText(io, abs(p));
      if (text === undefined) status = fail(`cat: can't open '${p}': No such file or directory\n`);
      else say(text.toString("utf8"));
    }
    return status;
  },
  mkdir,
  touch: async ({ args, io, abs }) => {
    for (const p of args) if (!io.fs.get(abs(p)) && !hostPath(io, abs(p))) await writeText(io, abs(p), "", false);
    return 0;
  },
  rm: ({ args, io, abs, fail }) => {
    const force = args.some((a) => /^-\w*f/.test(a));
    let status = 0;
    for (const p of args.filter((a) => !a.startsWith("-"))) if (!io.fs.remove(abs(p)) && !force) status = fail(`rm: can't remove '${p}': No such file or directory\n`);
    return status;
  },
  ln: ({ args, io, abs, fail }) => {
    if (args[0] !== "-s" || args.length !== 3) return fail("ln: only ln -s TARGET LINK is modelled\n");
    io.fs.set(abs(args[2]), { type: "symlink", uid: io.uid, gid: io.gid, target: args[1] });
    return 0;
  },
  chmod: ({ args, io, abs, fail }) => {
    if (!/^[0-7]{3,4}$/.test(args[0] ?? "")) return fail("chmod: only octal modes are modelled\n");
    let status = 0;
    for (const p of args.slice(1)) {
      const e = io.fs.get(abs(p));
      if (!e || e.type === "symlink") status = fail(`chmod: ${p}: No such file or directory\n`);
      else io.fs.set(abs(p), { ...e, mode: parseInt(args[0], 8) });
    }
    return status;
  },
  test: ({ args, io, abs }) => {
    const e = /^-[efd]$/.test(args[0] ?? "") ? io.fs.get(abs(args[1] ?? "")) : undefined;
    return e && (args[0] === "-e" || (args[0] === "-f" ? e.type === "file" : e.type === "directory")) ? 0 : 1;
  },
};

async function simple(words: string[], redirect: Redirect | undefined, io: ShellIo): Promise<number> {
  const [name, ...args] = words;
  let output = "";
  const call: Call = { args, io, abs: (p) => posix.resolve(io.cwd, p), say: (t) => (output += t), fail: (t) => (io.out(t), 1) };
  const assign = /^(\w+)=(.*)$/.exec(name);
  const builtin = Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined;
  let status: number;
  if (assign && args.length === 0) status = (io.env.set(assign[1], assign[2]), 0);
  else if (builtin) status = await builtin(call);
  else status = (io.out(`sh: ${name}: not found\n`), 127);
  if (redirect?.path !== undefined) await writeText(io, call.abs(redirect.path), output, redirect.append);
  else if (output) io.out(output);
  return status;
}
