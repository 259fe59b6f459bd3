/**
 * The node tree of a parsed template, as Go's text/template/parse defines it. Every node
 * keeps its source offset so errors point at file:line:column; `show` renders a node
 * back to template syntax for error messages (Go's `at <.a.b>`).
 */

export type Node =
  | ListNode | TextNode | ActionNode | PipeNode | CommandNode | FieldNode | ChainNode
  | IdentifierNode | VariableNode | DotNode | NilNode | BoolNode | NumberNode | StringNode
  | IfNode | RangeNode | WithNode | TemplateNode | BreakNode | ContinueNode | CommentNode;

export interface ListNode { kind: "list"; pos: number; nodes: Node[] }
export interface TextNode { kind: "text"; pos: number; text: string }
export interface CommentNode { kind: "comment"; pos: number; text: string }
export interface ActionNode { kind: "action"; pos: number; pipe: PipeNode }
export interface PipeNode { kind: "pipe"; pos: number; isAssign: boolean; decl: VariableNode[]; cmds: CommandNode[] }
export interface CommandNode { kind: "command"; pos: number; args: Node[] }
/** `.a.b`: fields of dot. */
export interface FieldNode { kind: "field"; pos: number; ident: string[] }
/** `(pipeline).a.b` or `$x.a` where the operand is not a plain variable. */
export interface ChainNode { kind: "chain"; pos: number; node: Node; field: string[] }
/** A function name. */
export interface IdentifierNode { kind: "identifier"; pos: number; ident: string }
/** `$x.a.b`: ident[0] is the variable name with its `$`. */
export interface VariableNode { kind: "variable"; pos: number; ident: string[] }
export interface DotNode { kind: "dot"; pos: number }
export interface NilNode { kind: "nil"; pos: number }
export interface BoolNode { kind: "bool"; pos: number; value: boolean }
/** A number constant: `isFloat` when written as one (`1.5`, `1e3`), else an integer or a char. */
export interface NumberNode { kind: "number"; pos: number; text: string; value: number; isFloat: boolean }
export interface StringNode { kind: "string"; pos: number; quoted: string; text: string }
interface Branch { pos: number; pipe: PipeNode; list: ListNode; elseList?: ListNode }
export interface IfNode extends Branch { kind: "if" }
export interface RangeNode extends Branch { kind: "range" }
export interface WithNode extends Branch { kind: "with" }
export interface TemplateNode { kind: "template"; pos: number; name: string; pipe?: PipeNode }
export interface BreakNode { kind: "break"; pos: number }
export interface ContinueNode { kind: "continue"; pos: number }

/** A node rendered back to template syntax (Go's Node.String). */
export function show(node: Node): string {
  switch (node.kind) {
    case "list": return node.nodes.map(show).join("");
    case "text": return node.text;
    case "comment": return `{{${node.text}}}`;
    case "action": return `{{${show(node.pipe)}}}`;
    case "pipe": {
      const decl = node.decl.length ? `${node.decl.map(show).join(", ")} ${node.isAssign ? "=" : ":="} ` : "";
      return decl + node.cmds.map(show).join(" | ");
    }
    case "command": return node.args.map((a) => (a.kind === "pipe" ? `(${show(a)})` : show(a))).join(" ");
    case "field": return node.ident.map((i) => `.${i}`).join("");
    case "chain": {
      const inner = node.node.kind === "pipe" ? `(${show(node.node)})` : show(node.node);
      return inner + node.field.map((f) => `.${f}`).join("");
    }
    case "identifier": return node.ident;
    case "variable": return node.ident.join(".");
    case "dot": return ".";
    case "nil": return "nil";
    case "bool": return String(node.value);
    case "number": return node.text;
    case "string": return node.quoted;
    case "if": case "range": case "with": {
      const elsePart = node.elseList ? `{{else}}${show(node.elseList)}` : "";
      return `{{${node.kind} ${show(node.pipe)}}}${show(node.list)}${elsePart}{{end}}`;
    }
    case "template": return `{{template ${JSON.stringify(node.name)}${node.pipe ? ` ${show(node.pipe)}` : ""}}}`;
    case "break": return "{{break}}";
    case "continue": return "{{continue}}";
  }
}
