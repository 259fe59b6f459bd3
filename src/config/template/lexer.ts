/**
 * The lexer of Go's text/template, after Rob Pike's "Lexical Scanning in Go": a state
 * machine whose states are functions returning the next state, emitting items onto a
 * queue that the parser reads. Positions are byte offsets into the source (as in Go,
 * but counted in UTF-16 units); the parser turns them into line:column. The states
 * inside an action (`{{ ... }}`) are in ./lexer-action.ts.
 */
import { lexInsideAction } from "./lexer-action.ts";

export type ItemType =
  | "error" | "bool" | "char" | "comment" | "assign" | "declare" | "eof" | "field" | "identifier"
  | "leftDelim" | "leftParen" | "number" | "pipe" | "rawString" | "rightDelim" | "rightParen"
  | "space" | "string" | "text" | "variable" | "dot" | "nil" | "keyword" | "comma";

export interface Item {
  type: ItemType;
  pos: number;
  val: string;
}

export const KEYWORDS = new Set(["block", "break", "continue", "define", "else", "end", "if", "range", "template", "with"]);

export const LEFT = "{{";
export const RIGHT = "}}";
/** `{{-` then a space (any of Go's: space, tab, CR, LF) trims the text before. */
export const hasLeftTrim = (input: string, pos: number) => input.startsWith("{{-", pos) && isSpace(input[pos + 3] ?? "");
/** A space then `-}}` trims the text after; both markers are 2 characters besides the delimiter. */
export const hasRightTrim = (input: string, pos: number) => isSpace(input[pos] ?? "") && input.startsWith("-}}", pos + 1);
const TRIM_MARKER = 2;

export type State = ((l: Lexer) => State) | undefined;

/** The machine's state: the input, the current item's start and the cursor. */
export class Lexer {
  readonly items: Item[] = [];
  start = 0;
  pos = 0;
  parenDepth = 0;
  /** Where the current action's `{{` is: an unclosed action is reported there. */
  actionStart = 0;

  constructor(readonly input: string) {}

  peek(): string {
    return this.input[this.pos] ?? "";
  }

  next(): string {
    const c = this.input[this.pos] ?? "";
    this.pos += c.length;
    return c;
  }

  emit(type: ItemType): void {
    this.items.push({ type, pos: this.start, val: this.input.slice(this.start, this.pos) });
    this.start = this.pos;
  }

  ignore(): void {
    this.start = this.pos;
  }

  accept(valid: string): boolean {
    if (this.pos < this.input.length && valid.includes(this.input[this.pos])) {
      this.pos++;
      return true;
    }
    return false;
  }

  acceptRun(valid: string): void {
    while (this.accept(valid));
  }

  /** Emits an error item and stops the machine. */
  errorf(message: string): State {
    this.items.push({ type: "error", pos: this.start, val: message });
    return undefined;
  }

  /** A `-}}` or `}}` at the cursor: [is a delimiter, trims the following space]. */
  atRightDelim(): [boolean, boolean] {
    if (hasRightTrim(this.input, this.pos)) return [true, true];
    return [this.input.startsWith(RIGHT, this.pos), false];
  }
}

/** Lexes the whole input; the last item is `eof` or `error`. */
export function lex(input: string): Item[] {
  const l = new Lexer(input);
  let state: State = lexText;
  while (state) state = state(l);
  return l.items;
}

export const isSpace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";
export const isAlphaNumeric = (c: string) => c === "_" || /^[\p{L}\p{Nd}]$/u.test(c);

function lexText(l: Lexer): State {
  const at = l.input.indexOf(LEFT, l.pos);
  if (at < 0) {
    l.pos = l.input.length;
    if (l.pos > l.start) l.emit("text");
    l.emit("eof");
    return undefined;
  }
  l.pos = at;
  let trimmed = l.pos;
  if (hasLeftTrim(l.input, at)) {
    while (trimmed > l.start && isSpace(l.input[trimmed - 1])) trimmed--;
  }
  if (trimmed > l.start) {
    l.pos = trimmed;
    l.emit("text");
  }
  l.pos = at;
  l.start = at;
  return lexLeftDelim;
}

function lexLeftDelim(l: Lexer): State {
  const trim = hasLeftTrim(l.input, l.pos);
  l.pos += LEFT.length;
  const afterMarker = trim ? TRIM_MARKER : 0;
  if (l.input.startsWith("/*", l.pos + afterMarker)) {
    l.pos += afterMarker;
    l.ignore();
    return lexComment;
  }
  l.actionStart = l.start;
  l.emit("leftDelim");
  l.pos += afterMarker;
  l.ignore();
  l.parenDepth = 0;
  return lexInsideAction;
}

function lexComment(l: Lexer): State {
  const end = l.input.indexOf("*/", l.pos + 2);
  if (end < 0) return l.errorf("unclosed comment");
  l.pos = end + 2;
  const [delim, trim] = l.atRightDelim();
  if (!delim) return l.errorf("comment ends before closing delimiter");
  l.emit("comment");
  l.pos += (trim ? TRIM_MARKER : 0) + RIGHT.length;
  if (trim) while (isSpace(l.peek())) l.pos++;
  l.ignore();
  return lexText;
}

export function lexRightDelim(l: Lexer): State {
  const [, trim] = l.atRightDelim();
  if (trim) {
    l.pos += TRIM_MARKER;
    l.ignore();
  }
  l.pos += RIGHT.length;
  l.emit("rightDelim");
  if (trim) {
    while (isSpace(l.peek())) l.pos++;
    l.ignore();
  }
  return lexText;
}
