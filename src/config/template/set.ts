/**
 * A set of named templates sharing one function map, like Go's *template.Template
 * with its associated templates: werf parses the `.werf/**\/*.tmpl` files and the
 * config into one set, so `include`, `template` and `define` see each other.
 */
import { execute, MAX_DEPTH, type Func, type Templates } from "./exec.ts";
import type { Output } from "./output.ts";
import { isEmptyTree, parse, type Tree } from "./parser.ts";
import type { Source } from "./source.ts";

export class TemplateSet implements Templates {
  private readonly trees = new Map<string, Tree>();
  depth = 0;

  constructor(private readonly funcs: Map<string, Func>) {}

  func(name: string): Func | undefined {
    return this.funcs.get(name);
  }

  /** Adds functions after creation (werf's include and tpl close over the set itself). */
  define(name: string, fn: Func): void {
    this.funcs.set(name, fn);
  }

  lookup(name: string): Tree | undefined {
    return this.trees.get(name);
  }

  /** Parses `source` as template `name`, adding it and every template it defines. */
  parse(name: string, source: Source): void {
    for (const tree of parse(name, source, (n) => this.funcs.has(n))) {
      // As in Go, an empty (re)definition never replaces a template that has content.
      if (this.trees.has(tree.name) && isEmptyTree(tree.root)) continue;
      this.trees.set(tree.name, tree);
    }
  }

  /** Runs template `name` with `data`; an unknown name is an Error for the caller to place. */
  execute(name: string, data: unknown, out?: Output): string {
    const tree = this.trees.get(name);
    if (!tree) throw new Error(`no template ${JSON.stringify(name)} associated with template "werfConfig"`);
    if (this.depth >= MAX_DEPTH) throw new Error(`exceeded maximum template depth (${MAX_DEPTH})`);
    this.depth++;
    try {
      return execute(this, tree, data, out);
    } finally {
      this.depth--;
    }
  }
}

/** A function of fixed arity `impl.length`, or of `min`..`max` arguments. */
export function fn(call: (...args: never[]) => unknown, min = call.length, max = min): Func {
  return { min, max, call: call as (...args: unknown[]) => unknown };
}

/** A variadic function with at least `min` arguments. */
export function variadic(call: (...args: never[]) => unknown, min = 0): Func {
  return { min, max: Infinity, call: call as (...args: unknown[]) => unknown };
}
