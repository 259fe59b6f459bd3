/**
 * The executor of Go's text/template: walks a parsed tree with a data context (dot) and
 * a stack of variables, writing text to an output buffer. Control flow (break,
 * continue) is a value returned by `walk`, not an exception. Expressions (pipelines,
 * fields, calls) are evaluated in ./eval.ts. Every failure becomes a ConfigError at the
 * file:line:column of the node being evaluated, with Go's wording.
 */
import type { ConfigError } from "../../errors.ts";
import { Evaluator } from "./eval.ts";
import type { ListNode, Node, PipeNode, RangeNode, TemplateNode } from "./nodes.ts";
import type { Tree } from "./parser.ts";
import { Output } from "./output.ts";
import { formatValue, isMap, isTrue, sortedKeys } from "./values.ts";

/** A template function: fixed arity `min` (= `max`), or variadic from `min` when `max` is Infinity. */
export interface Func {
  min: number;
  max: number;
  call: (...args: unknown[]) => unknown;
}

/** What the executor needs from the set of templates it runs in. */
export interface Templates {
  lookup(name: string): Tree | undefined;
  func(name: string): Func | undefined;
  /** Nesting of {{template}}, include and tpl, shared so recursion is bounded across all three. */
  depth: number;
}

/** Go allows 100000 nested calls; a JavaScript stack holds a few hundred of these, so the bound is lower. */
export const MAX_DEPTH = 200;

type Signal = "break" | "continue" | undefined;

export function execute(set: Templates, tree: Tree, data: unknown, out = new Output()): string {
  new State(set, tree, out, data).walk(data, tree.root);
  return out.text();
}

/** Walks one tree; expressions are the Evaluator's, which also holds the variables. */
class State {
  private readonly ev: Evaluator;

  constructor(private readonly set: Templates, private readonly tree: Tree, private readonly out: Output, data: unknown) {
    this.ev = new Evaluator(set, tree, data);
  }

  private get vars() {
    return this.ev.vars;
  }

  private fail(node: Node, detail: string): ConfigError {
    return this.ev.fail(node, detail);
  }

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    return this.ev.evalPipeline(dot, pipe);
  }

  walk(dot: unknown, node: Node): Signal {
    switch (node.kind) {
      case "action": {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.out.write(formatValue(value), this.tree.source, node.pos, false);
        return undefined;
      }
      case "break": case "continue": return node.kind;
      case "comment": return undefined;
      case "if": case "with": {
        const mark = this.vars.length;
        const value = this.evalPipeline(dot, node.pipe);
        const branch = isTrue(value) ? node.list : node.elseList;
        const signal = branch ? this.walk(node.kind === "with" && branch === node.list ? value : dot, branch) : undefined;
        this.vars.length = mark;
        return signal;
      }
      case "list": return this.walkList(dot, node);
      case "range": return this.walkRange(dot, node);
      case "template": return this.walkTemplate(dot, node);
      case "text": this.out.write(node.text, this.tree.source, node.pos, true); return undefined;
      default: throw this.fail(node, `unknown node: ${node.kind}`);
    }
  }

  private walkList(dot: unknown, list: ListNode): Signal {
    for (const n of list.nodes) {
      const signal = this.walk(dot, n);
      if (signal) return signal;
    }
    return undefined;
  }

  private walkRange(dot: unknown, r: RangeNode): Signal {
    const outer = this.vars.length;
    const value = this.evalPipeline(dot, r.pipe);
    const mark = this.vars.length;
    const entries = this.rangeEntries(r, value);
    for (const [index, elem] of entries) {
      if (r.pipe.decl.length > 0) this.setRangeVars(r.pipe, index, elem);
      const signal = this.walk(elem, r.list);
      this.vars.length = mark;
      if (signal === "break") break;
    }
    if (entries.length === 0 && r.elseList) this.walk(dot, r.elseList);
    this.vars.length = outer;
    return undefined;
  }

  private rangeEntries(r: RangeNode, value: unknown): [unknown, unknown][] {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value.map((v, i) => [i, v]);
    if (typeof value === "number" && Number.isInteger(value)) {
      if (r.pipe.decl.length > 1) throw this.fail(r.pipe, `can't use ${value} to iterate over more than one variable`);
      return Array.from({ length: Math.max(value, 0) }, (_, i) => [i, i]);
    }
    if (isMap(value)) return sortedKeys(value).map((k) => [k, value[k]]);
    throw this.fail(r.pipe, `range can't iterate over ${formatValue(value)}`);
  }

  /** With one variable it gets the element; with two, the index (or key) and the element. */
  private setRangeVars(pipe: PipeNode, index: unknown, elem: unknown): void {
    const [first, second] = pipe.decl.map((d) => d.ident[0]);
    if (pipe.isAssign) {
      this.ev.setVar(pipe, first, second ? index : elem);
      if (second) this.ev.setVar(pipe, second, elem);
      return;
    }
    this.vars[this.vars.length - 1].value = elem;
    if (second) this.vars[this.vars.length - 2].value = index;
  }

  private walkTemplate(dot: unknown, t: TemplateNode): Signal {
    const tree = this.set.lookup(t.name);
    if (!tree) throw this.fail(t, `template ${JSON.stringify(t.name)} not defined`);
    if (this.set.depth >= MAX_DEPTH) throw this.fail(t, `exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    this.set.depth++;
    try {
      new State(this.set, tree, this.out, newDot).walk(newDot, tree.root);
    } finally {
      this.set.depth--;
    }
    return undefined;
  }
}
