/**
 * The parser of Go's text/template: reads the lexer's item queue and builds the node
 * tree of one template text, plus every `{{define}}`/`{{block}}` it contains: text,
 * actions and the control structures here, pipelines in ./parse-pipeline.ts. Like Go,
 * it checks at parse time that functions exist and variables are declared.
 */
import { lex, type Item } from "./lexer.ts";
import type { ListNode, Node, PipeNode, TemplateNode } from "./nodes.ts";
import { Cursor } from "./parse-cursor.ts";
import { pipeline } from "./parse-pipeline.ts";
import { unquote, type Source } from "./source.ts";

export interface Tree {
  name: string;
  root: ListNode;
  source: Source;
}

/** A node that ends a list: `{{end}}` or `{{else}}`. */
interface Terminator { kind: "end" | "else"; pos: number }

/** Parses `source` as template `name`; returns it first, then the templates it defines. */
export function parse(name: string, source: Source, hasFunc: (name: string) => boolean): Tree[] {
  const p = new Parser(new Cursor(source, lex(source.text), hasFunc));
  const root = p.parseRoot();
  return [{ name, root, source }, ...p.defined];
}

/** Go keeps a defined template unless the new definition is only whitespace. */
export function isEmptyTree(list: ListNode): boolean {
  return list.nodes.every((n) => (n.kind === "text" && n.text.trim() === "") || n.kind === "comment");
}

class Parser {
  readonly defined: Tree[] = [];

  constructor(private readonly c: Cursor) {}

  parseRoot(): ListNode {
    const root: ListNode = { kind: "list", pos: 0, nodes: [] };
    while (this.c.peek().type !== "eof") {
      if (this.c.peek().type === "leftDelim") {
        const delim = this.c.next();
        const word = this.c.nextNonSpace();
        if (word.type === "keyword" && word.val === "define") {
          this.parseDefinition(delim.pos);
          continue;
        }
        this.c.i = this.c.items.indexOf(delim);
      }
      const node = this.textOrAction();
      if ("kind" in node && (node.kind === "end" || node.kind === "else")) throw this.c.fail(node.pos, `unexpected {{${node.kind}}}`);
      root.nodes.push(node as Node);
    }
    return root;
  }

  private parseDefinition(pos: number): void {
    const name = this.templateName(this.c.nextNonSpace(), "define clause");
    this.c.expect("rightDelim", "define clause");
    const saved = this.c.vars;
    this.c.vars = ["$"];
    const [list, end] = this.itemList(pos);
    this.c.vars = saved;
    if (end.kind !== "end") throw this.c.fail(end.pos, `unexpected {{${end.kind}}} in define clause`);
    this.defined.push({ name, root: list, source: this.c.source });
  }

  itemList(pos: number): [ListNode, Terminator] {
    const list: ListNode = { kind: "list", pos, nodes: [] };
    while (this.c.peekNonSpace().type !== "eof") {
      const node = this.textOrAction();
      if (node.kind === "end" || node.kind === "else") return [list, node as Terminator];
      list.nodes.push(node as Node);
    }
    throw this.c.fail(this.c.source.text.length, "unexpected EOF");
  }

  textOrAction(): Node | Terminator {
    const item = this.c.nextNonSpace();
    if (item.type === "text") return { kind: "text", pos: item.pos, text: item.val };
    if (item.type === "comment") return { kind: "comment", pos: item.pos, text: item.val };
    if (item.type === "leftDelim") return this.action();
    throw this.c.unexpected(item, "input");
  }

  action(): Node | Terminator {
    const item = this.c.nextNonSpace();
    if (item.type === "keyword") {
      switch (item.val) {
        case "block": return this.blockControl(item);
        case "break": case "continue": return this.loopControl(item);
        case "else": return this.elseControl(item);
        case "end": this.c.expect("rightDelim", "end"); return { kind: "end", pos: item.pos };
        case "if": case "range": case "with": return this.control(item.val, item.pos);
        case "template": return this.templateControl();
        case "define": throw this.c.fail(item.pos, "unexpected {{define}}: only at the top level");
      }
    }
    this.c.backup();
    const pos = this.c.peek().pos;
    return { kind: "action", pos, pipe: pipeline(this.c, "command", "rightDelim") };
  }

  private loopControl(item: Item): Node {
    this.c.expect("rightDelim", item.val);
    if (this.c.rangeDepth === 0) throw this.c.fail(item.pos, `{{${item.val}}} outside {{range}}`);
    return { kind: item.val as "break" | "continue", pos: item.pos };
  }

  private elseControl(item: Item): Terminator {
    const peek = this.c.peekNonSpace();
    // `{{else if ...}}` and `{{else with ...}}` read as `{{else}}{{if ...}}`, sharing one {{end}}.
    if (peek.type === "keyword" && (peek.val === "if" || peek.val === "with")) return { kind: "else", pos: peek.pos };
    this.c.expect("rightDelim", "else");
    return { kind: "else", pos: item.pos };
  }

  control(kind: "if" | "range" | "with", pos: number): Node {
    const depth = this.c.vars.length;
    const pipe = pipeline(this.c, kind, "rightDelim");
    if (kind === "range") this.c.rangeDepth++;
    const [list, next] = this.itemList(pos);
    if (kind === "range") this.c.rangeDepth--;
    let elseList: ListNode | undefined;
    if (next.kind === "else") {
      const peek = this.c.peek();
      if (kind !== "range" && peek.type === "keyword" && peek.val === kind) {
        this.c.next();
        elseList = { kind: "list", pos: next.pos, nodes: [this.control(kind, peek.pos)] };
      } else {
        const [list2, end] = this.itemList(next.pos);
        if (end.kind !== "end") throw this.c.fail(end.pos, "expected end; found {{else}}");
        elseList = list2;
      }
    }
    this.c.vars.length = depth;
    return { kind, pos, pipe, list, elseList };
  }

  private templateControl(): TemplateNode {
    const token = this.c.nextNonSpace();
    const name = this.templateName(token, "template clause");
    let pipe: PipeNode | undefined;
    if (this.c.nextNonSpace().type !== "rightDelim") {
      this.c.backup();
      pipe = pipeline(this.c, "template clause", "rightDelim");
    }
    return { kind: "template", pos: token.pos, name, pipe };
  }

  private blockControl(item: Item): TemplateNode {
    const name = this.templateName(this.c.nextNonSpace(), "block clause");
    const pipe = pipeline(this.c, "block clause", "rightDelim");
    const saved = [this.c.vars, this.c.rangeDepth] as const;
    this.c.vars = ["$"];
    this.c.rangeDepth = 0;
    const [list, end] = this.itemList(item.pos);
    [this.c.vars, this.c.rangeDepth] = saved;
    if (end.kind !== "end") throw this.c.fail(end.pos, "unexpected {{else}} in block clause");
    this.defined.push({ name, root: list, source: this.c.source });
    return { kind: "template", pos: item.pos, name, pipe };
  }

  private templateName(token: Item, context: string): string {
    if (token.type !== "string" && token.type !== "rawString") throw this.c.unexpected(token, context);
    const name = unquote(token.val);
    if (name === undefined) throw this.c.fail(token.pos, `bad string ${token.val}`);
    return name;
  }
}
