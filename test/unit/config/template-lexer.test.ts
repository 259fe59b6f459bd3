/** The lexer on its own: the item queue for texts, actions, trim markers and errors. */
import { describe, expect, test } from "vitest";
import { lex } from "../../../src/config/template/lexer.ts";

const items = (text: string) => lex(text).map((i) => `${i.type}:${i.val}`);

describe("template lexer", () => {
  test("text and an action with a field, a pipe and a function", () => {
    expect(items("a {{ .X | quote }} b")).toEqual([
      "text:a ", "leftDelim:{{", "space: ", "field:.X", "space: ", "pipe:|", "space: ", "identifier:quote", "space: ", "rightDelim:}}", "text: b", "eof:",
    ]);
  });

  test("variables, declarations, assignment, parentheses, keywords and constants", () => {
    expect(items(`{{$x := (len "s")}}{{$x = 1.5e3}}{{if true}}{{nil}}{{end}}`)).toEqual([
      "leftDelim:{{", "variable:$x", "space: ", "declare::=", "space: ", "leftParen:(", "identifier:len", "space: ", 'string:"s"', "rightParen:)", "rightDelim:}}",
      "leftDelim:{{", "variable:$x", "space: ", "assign:=", "space: ", "number:1.5e3", "rightDelim:}}",
      "leftDelim:{{", "keyword:if", "space: ", "bool:true", "rightDelim:}}", "leftDelim:{{", "nil:nil", "rightDelim:}}",
      "leftDelim:{{", "keyword:end", "rightDelim:}}", "eof:",
    ]);
  });

  test("range declarations with a comma, $ alone, chained fields, raw strings and chars", () => {
    expect(items("{{range $i, $v := $.a.b}}{{`r`}}{{'x'}}")).toEqual([
      "leftDelim:{{", "keyword:range", "space: ", "variable:$i", "comma:,", "space: ", "variable:$v", "space: ", "declare::=", "space: ",
      "variable:$", "field:.a", "field:.b", "rightDelim:}}", "leftDelim:{{", "rawString:`r`", "rightDelim:}}", "leftDelim:{{", "char:'x'", "rightDelim:}}", "eof:",
    ]);
  });

  test("trim markers remove the whitespace next to them, newlines included", () => {
    expect(items("a \n {{- 3 -}} \n b")).toEqual(["text:a", "leftDelim:{{", "number:3", "rightDelim:}}", "text:b", "eof:"]);
    // Any of Go's spaces makes a trim marker, a newline included.
    expect(items("a \n{{-\n3\t-}}\n b")).toEqual(["text:a", "leftDelim:{{", "number:3", "rightDelim:}}", "text:b", "eof:"]);
    // `{{-3}}` is the number -3, not a trim marker.
    expect(items("a {{-3}}")).toEqual(["text:a ", "leftDelim:{{", "number:-3", "rightDelim:}}", "eof:"]);
  });

  test("comments are one item, trimmed like actions", () => {
    expect(items("a {{- /* c\n */ -}} b")).toEqual(["text:a", "comment:/* c\n */", "text:b", "eof:"]);
  });

  test("errors stop the queue with a message at the offending position", () => {
    const last = (text: string) => lex(text).at(-1)!;
    expect(last("x {{ .a")).toMatchObject({ type: "error", val: "unclosed action", pos: 2 });
    expect(last('{{ "abc }}')).toMatchObject({ type: "error", val: "unterminated quoted string" });
    expect(last("{{ /* c */}}")).toMatchObject({ type: "error", val: "unrecognized character in action: \"/\"" });
    expect(last("{{/* c }}")).toMatchObject({ type: "error", val: "unclosed comment" });
    expect(last("{{ ) }}")).toMatchObject({ type: "error", val: "unexpected right paren" });
    expect(last("{{ ( }}")).toMatchObject({ type: "error", val: "unclosed left paren" });
    expect(last("{{ 3x }}")).toMatchObject({ type: "error", val: 'bad number syntax: "3x"' });
  });
});
