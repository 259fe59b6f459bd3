/**
 * werf's additions to Sprig (pkg/config/parser.go): `env` with an optional default,
 * `required`, `include`, `tpl`, and the data every config template sees: `.Files`,
 * `.Env` (werf's --env value, a string) and `.Commit` (HEAD's hash and date).
 */
import { ConfigError } from "../../errors.ts";
import type { Func } from "./exec.ts";
import type { ProjectFiles } from "./files.ts";
import { fn, variadic, type TemplateSet } from "./set.ts";
import { GoStruct, str, strval, type GoMap } from "./values.ts";

export interface CommitInfo {
  hash: string;
  /** Unix seconds of the commit. */
  unix: number;
  /** The commit's UTC offset in minutes (east positive). */
  offsetMinutes: number;
}

export interface WerfContext {
  /** The process environment `env` reads. */
  env: Record<string, string | undefined>;
  /** werf's `--env` (`.Env`); "" when not given, as in werf. */
  werfEnv: string;
  files: ProjectFiles;
  /** HEAD of the project's repository, asked for only when a template uses `.Commit`. */
  commit: () => CommitInfo;
}

/**
 * werf's `env`: the variable, or the default when it is unset or empty. Unset with no
 * default is "" (werf's loose giterminism; slipway has no werf-giterminism.yaml to
 * allow variables in, so it does not refuse them).
 */
function envFunc(ctx: WerfContext): Func {
  return variadic((name: unknown, ...rest: unknown[]) => {
    if (rest.length > 1) throw new Error("more than 1 optional argument prohibited");
    const fallback = rest.length === 1 ? str(rest[0]) : undefined;
    const value = ctx.env[strval(name)];
    if (value === undefined || (value === "" && fallback !== undefined)) return fallback ?? "";
    return value;
  }, 1);
}

/** werf's `required`: nil or "" fails with the message. */
const required = fn((msg: unknown, value: unknown) => {
  if (value === null || value === undefined || value === "") throw new Error(str(msg));
  return value;
});

/** werf names a `tpl` template after the adler32 checksum of its text. */
function tplName(text: string): string {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(text)) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return `tpl-${((b << 16) | a) >>> 0}`;
}

export function werfFuncs(set: TemplateSet, ctx: WerfContext): Map<string, Func> {
  const tpl = fn((text: unknown, data: unknown) => {
    const name = tplName(str(text));
    try {
      set.parse(name, { file: name, text: str(text), virtual: true });
      return set.execute(name, data);
    } catch (err) {
      // An error inside the tpl text has no file of its own: report it at the tpl call.
      if (err instanceof ConfigError && err.file === name) throw new Error(`template: ${name}:${err.line}:${err.column}: ${err.detail}`);
      throw err;
    }
  });
  return new Map<string, Func>([
    ["env", envFunc(ctx)],
    ["required", required],
    ["include", fn((name: unknown, data: unknown) => set.execute(str(name), data))],
    ["tpl", tpl],
  ]);
}

/** Go's time.Time.String() for a fixed-offset zone without a name, as go-git gives commit times. */
export function humanDate(unix: number, offsetMinutes: number): string {
  const d = new Date((unix + offsetMinutes * 60) * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  const sign = offsetMinutes < 0 ? "-" : "+";
  const off = `${sign}${p(Math.floor(Math.abs(offsetMinutes) / 60))}${p(Math.abs(offsetMinutes) % 60)}`;
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${off} ${off}`;
}

/** The data werf executes a config with. `.Commit` is computed on first use. */
export function werfData(ctx: WerfContext): GoMap {
  const files = new GoStruct("files", {
    Get: (rel: unknown) => ctx.files.get(str(rel)),
    Glob: (pattern: unknown) => ctx.files.glob(str(pattern)),
    Exists: (rel: unknown) => ctx.files.exists(str(rel)),
    IsDir: (rel: unknown) => ctx.files.isDir(str(rel)),
  });
  let commit: GoMap | undefined;
  const data: GoMap = { Files: files, Env: ctx.werfEnv };
  Object.defineProperty(data, "Commit", {
    enumerable: true,
    get: () => {
      if (!commit) {
        const c = ctx.commit();
        commit = { Hash: c.hash, Date: { Human: humanDate(c.unix, c.offsetMinutes), Unix: String(c.unix) } };
      }
      return commit;
    },
  });
  return data;
}
