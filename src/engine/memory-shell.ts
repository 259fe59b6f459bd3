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

type Token = { op: string } | { word: string };
class Exit {
  constructor(readonly code: number) {}
}

/** Words and operators of one line; `$` expansion happens here, outside single quotes. */
function tokenize(line: string, env: Map<string, string>): Token[] {
  const tokens: Token[] = [];
  let word: string | undefined;
  const expand = (s: string, i: number): [string, number] => {
    const m = /^\$(?:\{(\w+)\}|(\w+))/.exec(s.slice(i));
    return m ? [env.get(m[1] ?? m[2]) ?? "", i + m[0].length] : ["$", i + 1];
  };
  for (let i = 0; i < line.length; ) {
    const c = line[i];
    if (/\s/.test(c)) {
      if (word !== undefined) tokens.push({ word }), (word = undefined);
      i++;
    } else if (c === "#" && word === undefined) break;
    else if (/^(&&|\|\||>>|;|>)/.test(line.slice(i))) {
      if (word !== undefined) tokens.push({ word }), (word = undefined);
      const op = /^(&&|\|\||>>|;|>)/.exec(line.slice(i))![1];
      tokens.push({ op });
      i += op.length;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? "") + line.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? line.length : end + 1;
    } else if (c === '"') {
      word ??= "";
      for (i++; i < line.length && line[i] !== '"'; ) {
        if (line[i] === "$") {
          const [value, next] = expand(line, i);
          word += value;
          i = next;
        }
        else if (line[i] === "\\" && i + 1 < line.length) (word += line[i + 1]), (i += 2);
        else word += line[i++];
      }
      i++;
    } else if (c === "$") {
      const [value, next] = expand(line, i);
      word = (word ?? "") + value;
      i = next;
    } else (word = (word ?? "") + c), i++;
  }
  if (word !== undefined) tokens.push({ word });
  return tokens;
}

/** Runs `/bin/sh -c script`; resolves to the exit code. */
export async function runScript(script: string, io: ShellIo): Promise<number> {
  let status = 0;
  let errexit = false;
  try {
    for (const line of script.split("\n")) {
      let connector = ";";
      let words: string[] = [];
      let redirect: { append: boolean; path?: string } | undefined;
      const tokens = [...tokenize(line, io.env), { op: ";" }];
      for (const token of tokens) {
        if ("word" in token) {
          if (redirect && redirect.path === undefined) redirect.path = token.word;
          else words.push(token.word);
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

async function simple(words: string[], redirect: { append: boolean; path?: string } | undefined, io: ShellIo): Promise<number> {
  const [name, ...args] = words;
  const abs = (p: string) => posix.resolve(io.cwd, p);
  let output = "";
  const say = (s: string) => (output += s);
  const fail = (s: string) => (io.out(s), 1);
  let status = 0;
  const assign = /^(\w+)=(.*)$/.exec(name);
  if (assign && args.length === 0) io.env.set(assign[1], assign[2]);
  else if (name === "true" || name === ":" || name === "set") status = 0;
  else if (name === "false") status = 1;
  else if (name === "exit") throw new Exit(Number(args[0] ?? 0));
  else if (name === "echo") say(args[0] === "-n" ? args.slice(1).join(" ") : `${args.join(" ")}\n`);
  else if (name === "cd") io.fs.get(abs(args[0] ?? "/"))?.type === "directory" ? (io.cwd = abs(args[0] ?? "/")) : (status = fail(`sh: cd: can't cd to ${args[0]}\n`));
  else if (name === "cat") {
    for (const p of args) {
      const text = await readPathText(io, abs(p));
      if (text === undefined) status = fail(`cat: can't open '${p}': No such file or directory\n`);
      else say(text.toString("utf8"));
    }
  } else if (name === "mkdir") {
    const parents = args.includes("-p");
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
  } else if (name === "touch") {
    for (const p of args) if (!io.fs.get(abs(p)) && !hostPath(io, abs(p))) await writeText(io, abs(p), "", false);
  } else if (name === "rm") {
    const force = args.some((a) => /^-\w*f/.test(a));
    for (const p of args.filter((a) => !a.startsWith("-"))) if (!io.fs.remove(abs(p)) && !force) status = fail(`rm: can't remove '${p}': No such file or directory\n`);
  } else if (name === "ln" && args[0] === "-s" && args.length === 3) io.fs.set(abs(args[2]), { type: "symlink", uid: io.uid, gid: io.gid, target: args[1] });
  else if (name === "chmod" && /^[0-7]{3,4}$/.test(args[0] ?? "")) {
    for (const p of args.slice(1)) {
      const e = io.fs.get(abs(p));
      if (!e || e.type === "symlink") status = fail(`chmod: ${p}: No such file or directory\n`);
      else io.fs.set(abs(p), { ...e, mode: parseInt(args[0], 8) });
    }
  } else if (name === "test" && /^-[efd]$/.test(args[0] ?? "")) {
    const e = io.fs.get(abs(args[1] ?? ""));
    status = e && (args[0] === "-e" || (args[0] === "-f" ? e.type === "file" : e.type === "directory")) ? 0 : 1;
  } else status = (io.out(`sh: ${name}: not found\n`), 127);
  if (redirect?.path !== undefined) await writeText(io, abs(redirect.path), output, redirect.append);
  else if (output) io.out(output);
  return status;
}
