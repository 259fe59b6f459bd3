/**
 * The parser of Go's text/template: reads the lexer's item queue and builds the node
 * tree of one template text, plus every `{{define}}`/`{{block}}` it contains. Like Go,
 * it checks at parse time that functions exist and variables are declared.
 */
import { ConfigError } from "../../errors.ts";
import { lex, type Item, type ItemType } from "./lexer.ts";
import type { CommandNode, ListNode, Node, NumberNode, PipeNode, TemplateNode } from "./nodes.ts";
import { errorAt, unquote, unquoteBody, type Source } from "./source.ts";

export interface Tree {
  name: string;
  root: ListNode;
  source: Source;
}

/** A node that ends a list: `{{end}}` or `{{else}}`. */
interface Terminator { kind: "end" | "else"; pos: number }

/** Parses `source` as template `name`; returns it first, then the templates it defines. */
export function parse(name: string, source: Source, hasFunc: (name: string) => boolean): Tree[] {
  const p = new Parser(source, lex(source.text), hasFunc);
  const root = p.parseRoot();
  return [{ name, root, source }, ...p.defined];
}

/** Go keeps a defined template unless the new definition is only whitespace. */
export function isEmptyTree(list: ListNode): boolean {
  return list.nodes.every((n) => (n.kind === "text" && n.text.trim() === "") || n.kind === "comment");
}

class Parser {
  private i = 0;
  private vars: string[] = ["$"];
  private rangeDepth = 0;
  readonly defined: Tree[] = [];

  constructor(private readonly source: Source, private readonly items: Item[], private readonly hasFunc: (n: string) => boolean) {}

  fail(pos: number, detail: string): ConfigError {
    return errorAt(this.source, pos, detail);
  }

  next(): Item {
    const item = this.items[this.i] ?? this.items[this.items.length - 1];
    if (item.type === "error") throw this.fail(item.pos, item.val);
    this.i = Math.min(this.i + 1, this.items.length);
    return item;
  }

  backup(n = 1): void {
    this.i -= n;
  }

  peek(): Item {
    const item = this.next();
    this.backup();
    return item;
  }

  nextNonSpace(): Item {
    let item = this.next();
    while (item.type === "space") item = this.next();
    return item;
  }

  peekNonSpace(): Item {
    const item = this.nextNonSpace();
    this.backup();
    return item;
  }

  expect(type: ItemType, context: string): Item {
    const item = this.nextNonSpace();
    if (item.type !== type) throw this.unexpected(item, context);
    return item;
  }

  unexpected(item: Item, context: string): ConfigError {
    if (item.type === "eof") return this.fail(item.pos, `unexpected EOF in ${context}`);
    return this.fail(item.pos, `unexpected ${describe(item)} in ${context}`);
  }

  parseRoot(): ListNode {
    const root: ListNode = { kind: "list", pos: 0, nodes: [] };
    while (this.peek().type !== "eof") {
      if (this.peek().type === "leftDelim") {
        const delim = this.next();
        const word = this.nextNonSpace();
        if (word.type === "keyword" && word.val === "define") {
          this.parseDefinition(delim.pos);
          continue;
        }
        this.i = this.items.indexOf(delim);
      }
      const node = this.textOrAction();
      if ("kind" in node && (node.kind === "end" || node.kind === "else")) throw this.fail(node.pos, `unexpected {{${node.kind}}}`);
      root.nodes.push(node as Node);
    }
    return root;
  }

  private parseDefinition(pos: number): void {
    const name = this.templateName(this.nextNonSpace(), "define clause");
    this.expect("rightDelim", "define clause");
    const saved = this.vars;
    this.vars = ["$"];
    const [list, end] = this.itemList(pos);
    this.vars = saved;
    if (end.kind !== "end") throw this.fail(end.pos, `unexpected {{${end.kind}}} in define clause`);
    this.defined.push({ name, root: list, source: this.source });
  }

  itemList(pos: number): [ListNode, Terminator] {
    const list: ListNode = { kind: "list", pos, nodes: [] };
    while (this.peekNonSpace().type !== "eof") {
      const node = this.textOrAction();
      if (node.kind === "end" || node.kind === "else") return [list, node as Terminator];
      list.nodes.push(node as Node);
    }
    throw this.fail(this.source.text.length, "unexpected EOF");
  }

  textOrAction(): Node | Terminator {
    const item = this.nextNonSpace();
    if (item.type === "text") return { kind: "text", pos: item.pos, text: item.val };
    if (item.type === "comment") return { kind: "comment", pos: item.pos, text: item.val };
    if (item.type === "leftDelim") return this.action();
    throw this.unexpected(item, "input");
  }

  action(): Node | Terminator {
    const item = this.nextNonSpace();
    if (item.type === "keyword") {
      switch (item.val) {
        case "block": return this.blockControl(item);
        case "break": case "continue": return this.loopControl(item);
        case "else": return this.elseControl(item);
        case "end": this.expect("rightDelim", "end"); return { kind: "end", pos: item.pos };
        case "if": case "range": case "with": return this.control(item.val, item.pos);
        case "template": return this.templateControl();
        case "define": throw this.fail(item.pos, "unexpected {{define}}: only at the top level");
      }
    }
    this.backup();
    const pos = this.peek().pos;
    return { kind: "action", pos, pipe: this.pipeline("command", "rightDelim") };
  }

  private loopControl(item: Item): Node {
    this.expect("rightDelim", item.val);
    if (this.rangeDepth === 0) throw this.fail(item.pos, `{{${item.val}}} outside {{range}}`);
    return { kind: item.val as "break" | "continue", pos: item.pos };
  }

  private elseControl(item: Item): Terminator {
    const peek = this.peekNonSpace();
    // `{{else if ...}}` and `{{else with ...}}` read as `{{else}}{{if ...}}`, sharing one {{end}}.
    if (peek.type === "keyword" && (peek.val === "if" || peek.val === "with")) return { kind: "else", pos: peek.pos };
    this.expect("rightDelim", "else");
    return { kind: "else", pos: item.pos };
  }

  control(kind: "if" | "range" | "with", pos: number): Node {
    const depth = this.vars.length;
    const pipe = this.pipeline(kind, "rightDelim");
    if (kind === "range") this.rangeDepth++;
    const [list, next] = this.itemList(pos);
    if (kind === "range") this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (next.kind === "else") {
      const peek = this.peek();
      if (kind !== "range" && peek.type === "keyword" && peek.val === kind) {
        this.next();
        elseList = { kind: "list", pos: next.pos, nodes: [this.control(kind, peek.pos)] };
      } else {
        const [list2, end] = this.itemList(next.pos);
        if (end.kind !== "end") throw this.fail(end.pos, "expected end; found {{else}}");
        elseList = list2;
      }
    }
    this.vars.length = depth;
    return { kind, pos, pipe, list, elseList };
  }

  private templateControl(): TemplateNode {
    const token = this.nextNonSpace();
    const name = this.templateName(token, "template clause");
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().type !== "rightDelim") {
      this.backup();
      pipe = this.pipeline("template clause", "rightDelim");
    }
    return { kind: "template", pos: token.pos, name, pipe };
  }

  private blockControl(item: Item): TemplateNode {
    const name = this.templateName(this.nextNonSpace(), "block clause");
    const pipe = this.pipeline("block clause", "rightDelim");
    const saved = [this.vars, this.rangeDepth] as const;
    this.vars = ["$"];
    this.rangeDepth = 0;
    const [list, end] = this.itemList(item.pos);
    [this.vars, this.rangeDepth] = saved;
    if (end.kind !== "end") throw this.fail(end.pos, "unexpected {{else}} in block clause");
    this.defined.push({ name, root: list, source: this.source });
    return { kind: "template", pos: item.pos, name, pipe };
  }

  private templateName(token: Item, context: string): string {
    if (token.type !== "string" && token.type !== "rawString") throw this.unexpected(token, context);
    const name = unquote(token.val);
    if (name === undefined) throw this.fail(token.pos, `bad string ${token.val}`);
    return name;
  }

  pipeline(context: string, end: "rightDelim" | "rightParen"): PipeNode {
    const pipe: PipeNode = { kind: "pipe", pos: this.peekNonSpace().pos, isAssign: false, decl: [], cmds: [] };
    this.declarations(pipe, context);
    for (;;) {
      const token = this.nextNonSpace();
      if (token.type === end) {
        this.checkPipeline(pipe, context, token.pos);
        return pipe;
      }
      if (!OPERAND_START.has(token.type)) throw this.unexpected(token, context);
      this.backup();
      pipe.cmds.push(this.command());
    }
  }

  private declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== "variable") return;
      const start = this.i;
      this.nextNonSpace();
      const after = this.peek();
      const next = this.peekNonSpace();
      if (next.type === "assign" || next.type === "declare") {
        pipe.isAssign = next.type === "assign";
        this.nextNonSpace();
        pipe.decl.push({ kind: "variable", pos: v.pos, ident: [v.val] });
        if (pipe.isAssign) this.useVar(v);
        else this.vars.push(v.val);
        return;
      }
      if (next.type === "comma" && context === "range" && pipe.decl.length < 1) {
        this.nextNonSpace();
        pipe.decl.push({ kind: "variable", pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        continue;
      }
      if (next.type === "comma") throw this.fail(next.pos, `too many declarations in ${context}`);
      void after;
      this.i = start;
      return;
    }
  }

  private checkPipeline(pipe: PipeNode, context: string, pos: number): void {
    if (pipe.cmds.length === 0) throw this.fail(pos, `missing value for ${context}`);
    for (const [i, cmd] of pipe.cmds.slice(1).entries()) {
      if (["bool", "dot", "nil", "number", "string"].includes(cmd.args[0].kind)) {
        throw this.fail(cmd.pos, `non executable command in pipeline stage ${i + 2}`);
      }
    }
  }

  command(): CommandNode {
    const cmd: CommandNode = { kind: "command", pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.type === "space") continue;
      if (token.type === "rightDelim" || token.type === "rightParen") this.backup();
      else if (token.type !== "pipe") throw this.fail(token.pos, `unexpected ${describe(token)} in operand`);
      break;
    }
    if (cmd.args.length === 0) throw this.fail(cmd.pos, "empty command");
    return cmd;
  }

  private operand(): Node | undefined {
    const node = this.term();
    if (!node || this.peek().type !== "field") return node;
    const fields: string[] = [];
    while (this.peek().type === "field") fields.push(this.next().val.slice(1));
    // As in Go, fields of a variable or of dot fold into that node.
    if (node.kind === "field" || node.kind === "variable") return { ...node, ident: [...node.ident, ...fields] };
    if (["bool", "string", "number", "nil", "dot"].includes(node.kind)) {
      throw this.fail(node.pos, `unexpected . after term ${JSON.stringify(showTerm(node))}`);
    }
    return { kind: "chain", pos: node.pos, node, field: fields };
  }

  private term(): Node | undefined {
    const t = this.nextNonSpace();
    switch (t.type) {
      case "identifier":
        if (!this.hasFunc(t.val)) throw this.fail(t.pos, `function ${JSON.stringify(t.val)} not defined`);
        return { kind: "identifier", pos: t.pos, ident: t.val };
      case "dot": return { kind: "dot", pos: t.pos };
      case "nil": return { kind: "nil", pos: t.pos };
      case "variable": return this.useVar(t);
      case "field": return { kind: "field", pos: t.pos, ident: [t.val.slice(1)] };
      case "bool": return { kind: "bool", pos: t.pos, value: t.val === "true" };
      case "char": case "number": return this.number(t);
      case "leftParen": return this.pipeline("parenthesized pipeline", "rightParen");
      case "string": case "rawString": {
        const text = unquote(t.val);
        if (text === undefined) throw this.fail(t.pos, `bad string syntax: ${t.val}`);
        return { kind: "string", pos: t.pos, quoted: t.val, text };
      }
    }
    this.backup();
    return undefined;
  }

  private useVar(t: Item): Node {
    if (!this.vars.includes(t.val)) throw this.fail(t.pos, `undefined variable ${JSON.stringify(t.val)}`);
    return { kind: "variable", pos: t.pos, ident: [t.val] };
  }

  private number(t: Item): NumberNode {
    const value = parseNumber(t.val);
    if (value === undefined) throw this.fail(t.pos, `bad number syntax: ${JSON.stringify(t.val)}`);
    return { kind: "number", pos: t.pos, text: t.val, value: value.value, isFloat: value.isFloat };
  }
}

const OPERAND_START = new Set<ItemType>(["bool", "char", "dot", "field", "identifier", "number", "nil", "rawString", "string", "variable", "leftParen"]);

function describe(item: Item): string {
  if (item.type === "rightDelim") return "}}";
  if (item.type === "keyword") return `<${item.val}>`;
  return `${item.type} ${JSON.stringify(item.val)}`;
}

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
