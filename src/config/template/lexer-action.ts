/**
 * The lexer's states inside an action: operators, identifiers and keywords, fields,
 * variables, numbers, strings and character constants (Go's lex.go, lexInsideAction on).
 */
import { isAlphaNumeric, isSpace, type ItemType, KEYWORDS, type Lexer, hasRightTrim, lexRightDelim, RIGHT, type State } from "./lexer.ts";

export function lexInsideAction(l: Lexer): State {
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
    if (hasRightTrim(l.input, l.pos)) break;
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
