/**
 * The lexer of Go's text/template, after Rob Pike's "Lexical Scanning in Go": a state
 * machine whose states are functions returning the next state, emitting items onto a
 * queue that the parser reads. Positions are byte offsets into the source (as in Go,
 * but counted in UTF-16 units); the parser turns them into line:column.
 */

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

const LEFT = "{{";
const RIGHT = "}}";
const TRIM_LEFT = "{{- ";
const TRIM_RIGHT = " -}}";

type State = ((l: Lexer) => State) | undefined;

class Lexer {
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
    if (this.input.startsWith(TRIM_RIGHT, this.pos)) return [true, true];
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

const isSpace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";
const isAlphaNumeric = (c: string) => c === "_" || /^[\p{L}\p{Nd}]$/u.test(c);

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
  if (l.input.startsWith(TRIM_LEFT, at)) {
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
  const trim = l.input.startsWith(TRIM_LEFT, l.pos);
  l.pos += LEFT.length;
  const afterMarker = trim ? TRIM_LEFT.length - LEFT.length : 0;
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
  l.pos += trim ? TRIM_RIGHT.length : RIGHT.length;
  if (trim) while (isSpace(l.peek())) l.pos++;
  l.ignore();
  return lexText;
}

function lexRightDelim(l: Lexer): State {
  const [, trim] = l.atRightDelim();
  if (trim) {
    l.pos += TRIM_RIGHT.length - RIGHT.length;
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

function lexInsideAction(l: Lexer): State {
  const [delim] = l.atRightDelim();
  if (delim) {
    if (l.parenDepth === 0) return lexRightDelim;
    return l.errorf("unclosed left paren");
  }
  const c = l.next();
  if (c === "") {
    l.start = l.actionStart;
    return l.errorf("unclosed action");
  }
  if (isSpace(c)) {
    l.pos--;
    return lexSpace;
  }
  if (c === "=") return emitThen(l, "assign");
  if (c === ":") {
    if (l.next() !== "=") return l.errorf("expected :=");
    return emitThen(l, "declare");
  }
  if (c === "|") return emitThen(l, "pipe");
  if (c === ",") return emitThen(l, "comma");
  if (c === '"') return lexQuote;
  if (c === "`") return lexRawQuote;
  if (c === "$") return lexVariable;
  if (c === "'") return lexChar;
  if (c === ".") {
    if (l.pos < l.input.length && /[0-9]/.test(l.peek())) {
      l.pos--;
      return lexNumber;
    }
    return lexField;
  }
  if (c === "+" || c === "-" || /[0-9]/.test(c)) {
    l.pos--;
    return lexNumber;
  }
  if (isAlphaNumeric(c)) {
    l.pos--;
    return lexIdentifier;
  }
  if (c === "(") {
    l.parenDepth++;
    return emitThen(l, "leftParen");
  }
  if (c === ")") {
    l.parenDepth--;
    if (l.parenDepth < 0) return l.errorf("unexpected right paren");
    return emitThen(l, "rightParen");
  }
  return l.errorf(`unrecognized character in action: ${JSON.stringify(c)}`);
}

function emitThen(l: Lexer, type: ItemType): State {
  l.emit(type);
  return lexInsideAction;
}

function lexSpace(l: Lexer): State {
  while (isSpace(l.peek())) {
    // A space right before a trim marker belongs to the marker.
    if (l.input.startsWith(TRIM_RIGHT, l.pos)) break;
    l.pos++;
  }
  if (l.pos > l.start) l.emit("space");
  return lexInsideAction;
}

function lexIdentifier(l: Lexer): State {
  while (isAlphaNumeric(l.peek())) l.pos++;
  const word = l.input.slice(l.start, l.pos);
  if (!atTerminator(l)) return l.errorf(`bad character ${JSON.stringify(l.peek())}`);
  if (KEYWORDS.has(word)) l.emit("keyword");
  else if (word === "true" || word === "false") l.emit("bool");
  else if (word === "nil") l.emit("nil");
  else l.emit("identifier");
  return lexInsideAction;
}

/** `.name`; a lone `.` is dot. */
function lexField(l: Lexer): State {
  if (atTerminator(l)) return emitThen(l, "dot");
  while (isAlphaNumeric(l.peek())) l.pos++;
  if (!atTerminator(l)) return l.errorf(`bad character ${JSON.stringify(l.peek())}`);
  return emitThen(l, "field");
}

function lexVariable(l: Lexer): State {
  while (isAlphaNumeric(l.peek())) l.pos++;
  if (!atTerminator(l)) return l.errorf(`bad character ${JSON.stringify(l.peek())}`);
  return emitThen(l, "variable");
}

function atTerminator(l: Lexer): boolean {
  const c = l.peek();
  if (c === "" || isSpace(c) || ".,|:)(=".includes(c)) return true;
  return l.input.startsWith(RIGHT, l.pos);
}

function lexChar(l: Lexer): State {
  for (;;) {
    const c = l.next();
    if (c === "\\") {
      if (l.next() !== "") continue;
    }
    if (c === "" || c === "\n") return l.errorf("unterminated character constant");
    if (c === "'") break;
  }
  return emitThen(l, "char");
}

function lexNumber(l: Lexer): State {
  l.accept("+-");
  let digits = "0123456789_";
  if (l.accept("0")) {
    if (l.accept("xX")) digits = "0123456789abcdefABCDEF_";
    else if (l.accept("oO")) digits = "01234567_";
    else if (l.accept("bB")) digits = "01_";
  }
  l.acceptRun(digits);
  if (l.accept(".")) l.acceptRun(digits);
  if (digits.length === 11 && l.accept("eE")) {
    l.accept("+-");
    l.acceptRun("0123456789_");
  }
  if (digits.length === 23 && l.accept("pP")) {
    l.accept("+-");
    l.acceptRun("0123456789_");
  }
  l.accept("i");
  if (isAlphaNumeric(l.peek())) {
    l.next();
    return l.errorf(`bad number syntax: ${JSON.stringify(l.input.slice(l.start, l.pos))}`);
  }
  return emitThen(l, "number");
}

function lexQuote(l: Lexer): State {
  for (;;) {
    const c = l.next();
    if (c === "\\") {
      if (l.next() !== "") continue;
    }
    if (c === "" || c === "\n") return l.errorf("unterminated quoted string");
    if (c === '"') break;
  }
  return emitThen(l, "string");
}

function lexRawQuote(l: Lexer): State {
  const end = l.input.indexOf("`", l.pos);
  if (end < 0) return l.errorf("unterminated raw quoted string");
  l.pos = end + 1;
  return emitThen(l, "rawString");
}
