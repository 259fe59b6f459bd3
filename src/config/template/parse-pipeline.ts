/**
 * Pipelines, the inside of every action: declarations (`$x :=`, `$x =`, `$i, $v :=`),
 * commands separated by `|`, and their operands (fields, chains, variables,
 * functions, constants, parenthesised pipelines). Go's parse.go, pipeline() on.
 */
import type { Item, ItemType } from "./lexer.ts";
import type { CommandNode, Node, NumberNode, PipeNode } from "./nodes.ts";
import { describe, type Cursor } from "./parse-cursor.ts";
import { unquote, unquoteBody } from "./source.ts";

export function pipeline(c: Cursor, context: string, end: "rightDelim" | "rightParen"): PipeNode {
  const pipe: PipeNode = { kind: "pipe", pos: c.peekNonSpace().pos, isAssign: false, decl: [], cmds: [] };
  declarations(c, pipe, context);
  for (;;) {
    const token = c.nextNonSpace();
    if (token.type === end) {
      checkPipeline(c, pipe, context, token.pos);
      return pipe;
    }
    if (!OPERAND_START.has(token.type)) throw c.unexpected(token, context);
    c.backup();
    pipe.cmds.push(command(c));
  }
}

function declarations(c: Cursor, pipe: PipeNode, context: string): void {
  for (;;) {
    const v = c.peekNonSpace();
    if (v.type !== "variable") return;
    const start = c.i;
    c.nextNonSpace();
    const next = c.peekNonSpace();
    if (next.type === "assign" || next.type === "declare") {
      pipe.isAssign = next.type === "assign";
      c.nextNonSpace();
      pipe.decl.push({ kind: "variable", pos: v.pos, ident: [v.val] });
      if (pipe.isAssign) useVar(c, v);
      else c.vars.push(v.val);
      return;
    }
    if (next.type === "comma" && context === "range" && pipe.decl.length < 1) {
      c.nextNonSpace();
      pipe.decl.push({ kind: "variable", pos: v.pos, ident: [v.val] });
      c.vars.push(v.val);
      continue;
    }
    if (next.type === "comma") throw c.fail(next.pos, `too many declarations in ${context}`);
    c.i = start;
    return;
  }
}

function checkPipeline(c: Cursor, pipe: PipeNode, context: string, pos: number): void {
  if (pipe.cmds.length === 0) throw c.fail(pos, `missing value for ${context}`);
  for (const [i, cmd] of pipe.cmds.slice(1).entries()) {
    if (["bool", "dot", "nil", "number", "string"].includes(cmd.args[0].kind)) {
      throw c.fail(cmd.pos, `non executable command in pipeline stage ${i + 2}`);
    }
  }
}

function command(c: Cursor): CommandNode {
  const cmd: CommandNode = { kind: "command", pos: c.peekNonSpace().pos, args: [] };
  for (;;) {
    c.peekNonSpace();
    const arg = operand(c);
    if (arg) cmd.args.push(arg);
    const token = c.next();
    if (token.type === "space") continue;
    if (token.type === "rightDelim" || token.type === "rightParen") c.backup();
    else if (token.type !== "pipe") throw c.fail(token.pos, `unexpected ${describe(token)} in operand`);
    break;
  }
  if (cmd.args.length === 0) throw c.fail(cmd.pos, "empty command");
  return cmd;
}

function operand(c: Cursor): Node | undefined {
  const node = term(c);
  if (!node || c.peek().type !== "field") return node;
  const fields: string[] = [];
  while (c.peek().type === "field") fields.push(c.next().val.slice(1));
  // As in Go, fields of a variable or of dot fold into that node.
  if (node.kind === "field" || node.kind === "variable") return { ...node, ident: [...node.ident, ...fields] };
  if (["bool", "string", "number", "nil", "dot"].includes(node.kind)) {
    throw c.fail(node.pos, `unexpected . after term ${JSON.stringify(showTerm(node))}`);
  }
  return { kind: "chain", pos: node.pos, node, field: fields };
}

function term(c: Cursor): Node | undefined {
  const t = c.nextNonSpace();
  switch (t.type) {
    case "identifier":
      if (!c.hasFunc(t.val)) throw c.fail(t.pos, `function ${JSON.stringify(t.val)} not defined`);
      return { kind: "identifier", pos: t.pos, ident: t.val };
    case "dot": return { kind: "dot", pos: t.pos };
    case "nil": return { kind: "nil", pos: t.pos };
    case "variable": return useVar(c, t);
    case "field": return { kind: "field", pos: t.pos, ident: [t.val.slice(1)] };
    case "bool": return { kind: "bool", pos: t.pos, value: t.val === "true" };
    case "char": case "number": return number(c, t);
    case "leftParen": return pipeline(c, "parenthesized pipeline", "rightParen");
    case "string": case "rawString": {
      const text = unquote(t.val);
      if (text === undefined) throw c.fail(t.pos, `bad string syntax: ${t.val}`);
      return { kind: "string", pos: t.pos, quoted: t.val, text };
    }
  }
  c.backup();
  return undefined;
}

export function useVar(c: Cursor, t: Item): Node {
  if (!c.vars.includes(t.val)) throw c.fail(t.pos, `undefined variable ${JSON.stringify(t.val)}`);
  return { kind: "variable", pos: t.pos, ident: [t.val] };
}

function number(c: Cursor, t: Item): NumberNode {
  const value = parseNumber(t.val);
  if (value === undefined) throw c.fail(t.pos, `bad number syntax: ${JSON.stringify(t.val)}`);
  return { kind: "number", pos: t.pos, text: t.val, value: value.value, isFloat: value.isFloat };
}

const OPERAND_START = new Set<ItemType>(["bool", "char", "dot", "field", "identifier", "number", "nil", "rawString", "string", "variable", "leftParen"]);

function showTerm(node: Node): string {
  return node.kind === "string" ? node.quoted : node.kind === "number" ? node.text : node.kind === "bool" ? String(node.value) : node.kind;
}

/** Go's number literals: ints in any base, floats, and character constants (their code point). */
export function parseNumber(text: string): { value: number; isFloat: boolean } | undefined {
  if (text.startsWith("'")) {
    const body = unquoteBody(text.slice(1, -1), "'");
    if (body === undefined || [...body].length !== 1) return undefined;
    return { value: body.codePointAt(0)!, isFloat: false };
  }
  if (text.endsWith("i")) return undefined;
  const clean = text.replaceAll("_", "");
  const sign = clean.startsWith("-") ? -1 : 1;
  const body = clean.replace(/^[+-]/, "");
  const based = /^0([xXoObB])([0-9a-fA-F]+)$/.exec(body);
  if (based) {
    const radix = { x: 16, o: 8, b: 2 }[based[1].toLowerCase() as "x" | "o" | "b"];
    const n = parseInt(based[2], radix);
    return Number.isNaN(n) || !new RegExp(`^[${"0123456789abcdef".slice(0, radix)}]+$`, "i").test(based[2]) ? undefined : { value: sign * n, isFloat: false };
  }
  if (/^0[0-7]+$/.test(body)) return { value: sign * parseInt(body, 8), isFloat: false };
  if (/^\d+$/.test(body)) return { value: sign * Number(body), isFloat: false };
  if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(body)) return { value: sign * Number(body), isFloat: true };
  return undefined;
}
