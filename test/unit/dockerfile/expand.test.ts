import { describe, expect, test } from "vitest";
import { ExpandError, expandWord, expandWords, rawWords } from "../../../src/dockerfile/expand.ts";

const vars = new Map([["A", "x"], ["EMPTY", ""], ["SP", "a b"]]);
const lookup = (name: string) => vars.get(name);

describe("variable expansion (Docker's shell lexer)", () => {
  test.each([
    ["$A", "x"],
    ["${A}", "x"],
    ["pre-${A}-post", "pre-x-post"],
    ["$UNSET", ""],
    ["${UNSET:-def}", "def"],
    ["${EMPTY:-def}", "def"],
    ["${EMPTY-def}", ""],
    ["${UNSET-def}", "def"],
    ["${A:-def}", "x"],
    ["${A:+alt}", "alt"],
    ["${EMPTY:+alt}", ""],
    ["${EMPTY+alt}", "alt"],
    ["${UNSET:+alt}", ""],
    ["${UNSET:-$A/y}", "x/y"],
    ["\\$A", "$A"],
    ["'$A'", "$A"],
    ['"$A"', "x"],
    ['"\\$A"', "$A"],
    ['"a \\"q\\" b"', 'a "q" b'],
    ["$", "$"],
    ["a$-b", "a$-b"],
  ])("%s -> %s", (input, expected) => {
    expect(expandWord(input, lookup)).toBe(expected);
  });

  test("a word keeps its whitespace; words split outside quotes only", () => {
    expect(expandWord("a  $SP", lookup)).toBe("a  a b");
    expect(expandWords('one "two three" $SP', lookup)).toEqual(["one", "two three", "a b"]);
  });

  test("the escape directive's character escapes", () => {
    expect(expandWord("`$A", lookup, "`")).toBe("$A");
    expect(expandWord("c:\\dir", lookup, "`")).toBe("c:\\dir");
  });

  test("${VAR:?msg} fails when unset; unbalanced quotes and braces fail", () => {
    expect(() => expandWord("${UNSET:?needed}", lookup)).toThrow(ExpandError);
    expect(expandWord("${A:?needed}", lookup)).toBe("x");
    expect(() => expandWord("'open", lookup)).toThrow(ExpandError);
    expect(() => expandWord('"open', lookup)).toThrow(ExpandError);
    expect(() => expandWord("${A", lookup)).toThrow(ExpandError);
    expect(() => expandWord("${A%x}", lookup)).toThrow(ExpandError);
  });

  test("raw words keep quotes for key=value splitting", () => {
    expect(rawWords('a=1 "b c"=d e="f g"')).toEqual(["a=1", '"b c"=d', 'e="f g"']);
  });
});
