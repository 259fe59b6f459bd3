/**
 * Sprig's `semver` and `semverCompare` (semver.go), which use Masterminds/semver v3:
 * versions parse loosely (`v1.2`, `1`, `1.2.3-rc.1+meta`); constraints are `||` of
 * AND groups (terms split by `,` or spaces, `>= 1.2` allowed), with `=`, `!=`, `>`,
 * `<`, `>=`, `<=`/`=<`, `~`/`~>`, `^`, wildcards and hyphen ranges. Each term is checked
 * on its own, as Masterminds does, so a prerelease version only matches a term that
 * itself names a prerelease. The range arithmetic is the npm `semver` package's.
 */
import semver from "semver";
import type { Func } from "./exec.ts";
import { fn } from "./set.ts";
import { GoStruct, str } from "./values.ts";

const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

interface Parsed {
  version: semver.SemVer;
  metadata: string;
  original: string;
}

function parseVersion(text: string): Parsed {
  const m = VERSION.exec(text.trim());
  if (!m) throw new Error("Invalid Semantic Version");
  const core = `${Number(m[1])}.${Number(m[2] ?? 0)}.${Number(m[3] ?? 0)}${m[4] ? `-${m[4]}` : ""}`;
  const version = semver.parse(core);
  if (!version) throw new Error("Invalid Semantic Version");
  return { version, metadata: m[5] ?? "", original: text };
}

function versionStruct(text: string): GoStruct {
  const { version, metadata, original } = parseVersion(text);
  const full = `${version.version}${metadata ? `+${metadata}` : ""}`;
  return new GoStruct("*semver.Version", {
    Major: () => version.major,
    Minor: () => version.minor,
    Patch: () => version.patch,
    Prerelease: () => version.prerelease.join("."),
    Metadata: () => metadata,
    Original: () => original,
    String: () => full,
  });
}

/** Splits one AND group into terms, joining an operator to the version after it. */
function terms(group: string): string[] {
  const hyphen = /^\s*(\S+)\s+-\s+(\S+)\s*$/.exec(group);
  if (hyphen) return [`>=${hyphen[1]}`, `<=${hyphen[2]}`];
  return group.replace(/(=<|>=|<=|!=|~>|[=<>~^])\s+/g, "$1").split(/[\s,]+/).filter(Boolean);
}

function checkTerm(version: semver.SemVer, term: string): boolean {
  const op = /^(!=|=<|~>)?(.*)$/.exec(term)!;
  if (op[1] === "!=") return !checkTerm(version, `=${op[2]}`);
  const normal = op[1] === "=<" ? `<=${op[2]}` : op[1] === "~>" ? `~${op[2]}` : term;
  const range = new semver.Range(normal.replace(/(^|[<>=~^])v(\d)/g, "$1$2"));
  return semver.satisfies(version, range);
}

export function semverCompare(constraint: string, version: string): boolean {
  const parsed = parseVersion(version).version;
  const groups = constraint.split("||").map(terms);
  for (const group of groups) {
    if (group.length === 0) throw new Error(`improper constraint: ${constraint}`);
    for (const term of group) {
      try {
        new semver.Range(term.replace(/^(!=|=<|~>)/, ">="));
      } catch {
        throw new Error(`improper constraint: ${constraint}`);
      }
    }
  }
  return groups.some((group) => group.every((term) => checkTerm(parsed, term)));
}

export function semverFuncs(): [string, Func][] {
  return [
    ["semver", fn((v: unknown) => versionStruct(str(v)))],
    ["semverCompare", fn((c: unknown, v: unknown) => semverCompare(str(c), str(v)))],
  ];
}
