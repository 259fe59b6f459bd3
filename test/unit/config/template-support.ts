import type { Func } from "../../../src/config/template/exec.ts";
import { templateFuncs } from "../../../src/config/template/index.ts";
import { TemplateSet } from "../../../src/config/template/set.ts";
import { ConfigError } from "../../../src/errors.ts";

/** A set with Go's builtins and Sprig, plus `extra` functions, holding the named texts in order. */
export function templateSet(texts: [string, string][], extra: Record<string, Func> = {}): TemplateSet {
  const set = new TemplateSet(templateFuncs());
  for (const [name, f] of Object.entries(extra)) set.define(name, f);
  for (const [name, text] of texts) set.parse(name, { file: name, text });
  return set;
}

/** Renders one template text with `data`. */
export function render(text: string, data: unknown = undefined, extra: Record<string, Func> = {}): string {
  return templateSet([["t", text]], extra).execute("t", data);
}

/** The ConfigError rendering throws, as "line:column: detail". */
export function renderError(text: string, data: unknown = undefined): string {
  try {
    render(text, data);
  } catch (err) {
    if (err instanceof ConfigError) return `${err.line}:${err.column}: ${err.detail}`;
    throw err;
  }
  throw new Error(`expected an error rendering ${JSON.stringify(text)}`);
}
