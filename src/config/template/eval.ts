/**
 * The executor's expressions: pipelines, commands, field chains, method and function
 * calls, arguments and variables, with Go's rules (a missing key is the invalid value,
 * a nil interface unwraps to it, `and`/`or` stop early, arity is checked).
 */
import { ConfigError } from "../../errors.ts";
import type { Func, Templates } from "./exec.ts";
import type { ChainNode, CommandNode, IdentifierNode, Node, PipeNode, VariableNode } from "./nodes.ts";
import { show } from "./nodes.ts";
import type { Tree } from "./parser.ts";
import { errorAt } from "./source.ts";
import { GoStruct, isMap, isTrue, typeName } from "./values.ts";

const MISSING = Symbol("missing");
/** The value piped into a command: MISSING when there is none (Go's missingVal). */
type Final = unknown | typeof MISSING;

export class Evaluator {
  /** Variables in scope, innermost last; `$` is the data. */
  readonly vars: { name: string; value: unknown }[];

  constructor(private readonly set: Templates, private readonly tree: Tree, data: unknown) {
    this.vars = [{ name: "$", value: data }];
  }

  fail(node: Node, detail: string): ConfigError {
    return errorAt(this.tree.source, node.pos, `at <${show(node)}>: ${detail}`);
  }

  evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // Go unwraps a nil interface into the invalid value.
      if (value === null) value = undefined;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v, v.ident[0], value);
      else this.vars.push({ name: v.ident[0], value });
    }
    return value;
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0];
    switch (first.kind) {
      case "field": return this.evalFieldChain(dot, dot, first, first.ident, cmd.args, final);
      case "chain": return this.evalChain(dot, first, cmd.args, final);
      case "identifier": return this.evalFunction(dot, first, cmd, cmd.args, final);
      case "pipe": this.notAFunction(cmd, final); return this.evalPipeline(dot, first);
      case "variable": return this.evalVariable(dot, first, cmd.args, final);
    }
    this.notAFunction(cmd, final);
    switch (first.kind) {
      case "bool": return first.value;
      case "dot": return dot;
      case "nil": throw this.fail(first, "nil is not a command");
      case "number": return first.value;
      case "string": return first.text;
    }
    throw this.fail(first, `can't evaluate command ${JSON.stringify(show(first))}`);
  }

  private notAFunction(cmd: CommandNode, final: Final): void {
    if (cmd.args.length > 1 || final !== MISSING) throw this.fail(cmd, `can't give argument to non-function ${show(cmd.args[0])}`);
  }

  private evalChain(dot: unknown, chain: ChainNode, args: Node[], final: Final): unknown {
    if (chain.node.kind === "nil") throw this.fail(chain, `indirection through explicit nil in ${show(chain)}`);
    return this.evalFieldChain(dot, this.evalArg(dot, chain.node), chain, chain.field, args, final);
  }

  private evalVariable(dot: unknown, v: VariableNode, args: Node[], final: Final): unknown {
    const value = this.varValue(v, v.ident[0]);
    if (v.ident.length === 1) {
      if (args.length > 1 || final !== MISSING) throw this.fail(v, `can't give argument to non-function ${show(v)}`);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, node: Node, ident: string[], args: Node[], final: Final): unknown {
    let r = receiver;
    for (const name of ident.slice(0, -1)) r = this.evalField(dot, name, node, [], MISSING, r);
    return this.evalField(dot, ident[ident.length - 1], node, args, final, r);
  }

  private evalField(dot: unknown, name: string, node: Node, args: Node[], final: Final, receiver: unknown): unknown {
    if (receiver === undefined) return undefined;
    if (receiver === null) throw this.fail(node, `nil pointer evaluating interface {}.${name}`);
    if (receiver instanceof GoStruct) {
      const method = receiver.methods[name];
      if (method) return this.evalCall(dot, { min: method.length, max: method.length, call: method }, node, name, args, final);
    }
    const hasArgs = args.length > 1 || final !== MISSING;
    if (isMap(receiver)) {
      if (hasArgs) throw this.fail(node, `${name} is not a method but has arguments`);
      if (!Object.hasOwn(receiver, name)) return undefined;
      try {
        return receiver[name];
      } catch (err) {
        // A computed entry (werf's .Commit) that cannot be computed.
        throw this.fail(node, err instanceof Error ? err.message : String(err));
      }
    }
    throw this.fail(node, `can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  /** `cmd` is the whole call, shown in errors (`at <fail "boom">`). */
  private evalFunction(dot: unknown, node: IdentifierNode, cmd: Node, args: Node[], final: Final): unknown {
    const fn = this.set.func(node.ident);
    if (!fn) throw this.fail(node, `${JSON.stringify(node.ident)} is not a defined function`);
    if (node.ident === "and" || node.ident === "or") return this.evalLogic(dot, node, args, final);
    return this.evalCall(dot, fn, cmd, node.ident, args, final);
  }

  /** `and` and `or` stop at the first argument that decides, as Go's do since 1.18. */
  private evalLogic(dot: unknown, node: IdentifierNode, args: Node[], final: Final): unknown {
    const operands = args.slice(1);
    if (operands.length + (final === MISSING ? 0 : 1) === 0) throw this.fail(node, `wrong number of args for ${node.ident}: want at least 1 got 0`);
    let v: unknown;
    for (const arg of operands) {
      v = this.evalArg(dot, arg);
      if (isTrue(v) === (node.ident === "or")) return v;
    }
    return final === MISSING ? v : final;
  }

  private evalCall(dot: unknown, fn: Func, node: Node, name: string, args: Node[], final: Final): unknown {
    const argv = args.slice(1).map((a) => this.evalArg(dot, a));
    if (final !== MISSING) argv.push(final === undefined ? null : final);
    if (argv.length < fn.min || argv.length > fn.max) {
      const want = fn.max === Infinity ? `at least ${fn.min}` : String(fn.min);
      throw this.fail(node, `wrong number of args for ${name}: want ${want} got ${argv.length}`);
    }
    try {
      return fn.call(...argv);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw this.fail(node, `error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private evalArg(dot: unknown, n: Node): unknown {
    let v: unknown;
    switch (n.kind) {
      case "dot": v = dot; break;
      case "nil": return null;
      case "field": v = this.evalFieldChain(dot, dot, n, n.ident, [], MISSING); break;
      case "variable": v = this.evalVariable(dot, n, [], MISSING); break;
      case "pipe": v = this.evalPipeline(dot, n); break;
      case "identifier": v = this.evalFunction(dot, n, n, [n], MISSING); break;
      case "chain": v = this.evalChain(dot, n, [], MISSING); break;
      case "bool": return n.value;
      case "number": return n.value;
      case "string": return n.text;
      default: throw this.fail(n, `can't handle ${show(n)} as an argument`);
    }
    return v === undefined ? null : v;
  }

  private varValue(node: Node, name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    throw this.fail(node, `undefined variable: ${name}`);
  }

  setVar(node: Node, name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    throw this.fail(node, `undefined variable: ${name}`);
  }
}
