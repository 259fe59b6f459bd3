/**
 * .dockerignore with Docker's rules (moby/patternmatcher): one pattern a line, `#`
 * lines are comments, patterns are cleaned and a leading `/` dropped, `*` and `?`
 * stop at `/`, `**` spans directories, `!` re-includes, the last matching pattern
 * wins, and a pattern that matches a directory matches everything under it.
 */
import { posix } from "node:path";

export interface IgnorePattern {
  pattern: string;
  exclusion: boolean;
  regex: RegExp;
}

export interface IgnoreRules {
  patterns: IgnorePattern[];
  /** True when `path` (relative to the context, `/`-separated) is left out of the context. */
  ignores(path: string): boolean;
  /** False when a `!` pattern may re-include something under an ignored directory. */
  readonly canSkipDirectories: boolean;
}

function escapeRegex(ch: string): string {
  return /[.+^${}()|[\]\\*?]/.test(ch) ? `\\${ch}` : ch;
}

/** Docker's pattern as a regular expression over the whole path. */
export function patternRegex(pattern: string): RegExp {
  let out = "^";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") i++;
        // `**` at the end matches everything below; `**/` any number of directories, zero included.
        out += i + 1 >= pattern.length ? ".*" : "(.*/)?";
      } else out += "[^/]*";
    } else if (ch === "?") out += "[^/]";
    else if (ch === "\\" && i + 1 < pattern.length) out += escapeRegex(pattern[++i]);
    else if (ch === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) throw new Error(`syntax error in pattern ${JSON.stringify(pattern)}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith("^") || cls.startsWith("!")) cls = `^${cls.slice(1)}`;
      out += `[${cls.replace(/\\/g, "\\\\")}]`;
      i = end;
    } else out += escapeRegex(ch);
  }
  return new RegExp(`${out}$`);
}

export function parseDockerignore(text: string): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.startsWith("#")) continue;
    let line = raw.trim();
    if (line === "") continue;
    const exclusion = line.startsWith("!");
    if (exclusion) line = line.slice(1).trim();
    let pattern = posix.normalize(line);
    if (pattern.length > 1 && pattern.startsWith("/")) pattern = pattern.slice(1);
    if (pattern.length > 1 && pattern.endsWith("/")) pattern = pattern.slice(0, -1);
    out.push({ pattern, exclusion, regex: patternRegex(pattern) });
  }
  return out;
}

/** The path and every parent directory of it, shortest last: a pattern matching any of them matches. */
function withParents(path: string): string[] {
  const parts = path.split("/");
  return parts.map((_, i) => parts.slice(0, parts.length - i).join("/"));
}

export function ignoreRules(patterns: IgnorePattern[]): IgnoreRules {
  return {
    patterns,
    canSkipDirectories: !patterns.some((p) => p.exclusion),
    ignores(path) {
      const candidates = withParents(path);
      let ignored = false;
      for (const p of patterns) {
        if (candidates.some((c) => p.regex.test(c))) ignored = !p.exclusion;
      }
      return ignored;
    },
  };
}
