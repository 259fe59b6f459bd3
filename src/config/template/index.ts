/**
 * Renders a config file as werf does: one template set holding the function map
 * (Go's builtins, Sprig, werf's own), every `.werf/**\/*.tmpl` file (named by its path
 * inside `.werf/`), then the config itself as "werfConfig", executed with werf's data.
 */
import { builtins } from "./builtins.ts";
import type { Func } from "./exec.ts";
import { Output, type Origin } from "./output.ts";
import { TemplateSet } from "./set.ts";
import { listFuncs } from "./sprig-lists.ts";
import { miscFuncs } from "./sprig-misc.ts";
import { semverFuncs } from "./sprig-semver.ts";
import { stringFuncs } from "./sprig-strings.ts";
import { werfData, werfFuncs, type WerfContext } from "./werf.ts";

export type { WerfContext, CommitInfo } from "./werf.ts";
export type { ProjectFiles } from "./files.ts";
export type { Origin } from "./output.ts";

export interface Rendered {
  text: string;
  /** Where rendered line `line` (1-based) came from. */
  origin(line: number): Origin | undefined;
}

/** werf's default directory of config templates. */
export const TEMPLATES_DIR = ".werf";

/** Sprig's `must` variants: here the plain functions already fail instead of returning a placeholder. */
const MUST = ["toJson", "toPrettyJson", "toRawJson", "fromJson", "regexMatch", "regexFind", "regexFindAll", "regexReplaceAll",
  "regexReplaceAllLiteral", "regexSplit", "first", "last", "rest", "initial", "reverse", "compact", "uniq", "without", "has",
  "append", "push", "prepend", "merge", "mergeOverwrite", "deepCopy", "toDate"];

export function templateFuncs(): Map<string, Func> {
  const funcs = new Map([...builtins(), ...stringFuncs(), ...listFuncs(), ...miscFuncs(), ...semverFuncs()]);
  for (const name of MUST) {
    const f = funcs.get(name);
    if (f) funcs.set(`must${name[0].toUpperCase()}${name.slice(1)}`, f);
  }
  funcs.set("mustFromJson", { min: 1, max: 1, call: (s: unknown) => JSON.parse(String(s)) as unknown });
  return funcs;
}

/** `file` is the name errors show; partials are found through `ctx.files`. */
export function renderConfig(text: string, file: string, ctx: WerfContext): Rendered {
  const set = new TemplateSet(templateFuncs());
  for (const [name, f] of werfFuncs(set, ctx)) set.define(name, f);
  const partials = ctx.files.glob(`${TEMPLATES_DIR}/**/*.tmpl`);
  for (const rel of Object.keys(partials).sort()) {
    set.parse(rel.slice(TEMPLATES_DIR.length + 1), { file: rel, text: partials[rel] });
  }
  set.parse("werfConfig", { file, text });
  const out = new Output();
  const rendered = set.execute("werfConfig", werfData(ctx), out);
  return { text: rendered, origin: (line) => out.lines[line - 1] };
}
