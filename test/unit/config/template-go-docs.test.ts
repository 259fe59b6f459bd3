/**
 * The examples of Go's text/template documentation (pkg.go.dev/text/template: the
 * package doc's actions and pipelines, and example_test.go), each with the output Go
 * prints for it.
 */
import { describe, expect, test } from "vitest";
import { fn } from "../../../src/config/template/set.ts";
import { render, templateSet } from "./template-support.ts";

describe("Go's text/template documentation examples", () => {
  test("ExampleTemplate: the letter, with if/else, with and trim markers", () => {
    const letter = `
Dear {{.Name}},
{{if .Attended}}
It was a pleasure to see you at the wedding.
{{- else}}
It is a shame you couldn't make it to the wedding.
{{- end}}
{{with .Gift -}}
Thank you for the lovely {{.}}.
{{end}}
Best wishes,
Josie
`;
    const recipients = [
      { Name: "Aunt Mildred", Gift: "bone china tea set", Attended: true },
      { Name: "Uncle John", Gift: "moleskin pants", Attended: false },
      { Name: "Cousin Rodney", Gift: "", Attended: false },
    ];
    expect(recipients.map((r) => render(letter, r)).join("")).toBe(`
Dear Aunt Mildred,

It was a pleasure to see you at the wedding.
Thank you for the lovely bone china tea set.

Best wishes,
Josie

Dear Uncle John,

It is a shame you couldn't make it to the wedding.
Thank you for the lovely moleskin pants.

Best wishes,
Josie

Dear Cousin Rodney,

It is a shame you couldn't make it to the wedding.

Best wishes,
Josie
`);
  });

  test("ExampleTemplate_block: a block, then an overlay redefining it", () => {
    const master = `Names:{{block "list" .}}{{"\\n"}}{{range .}}{{println "-" .}}{{end}}{{end}}`;
    const overlay = `{{define "list"}} {{join . ", "}}{{end}} `;
    // Go's example passes strings.Join (list first), not Sprig's join.
    const join = fn((list: unknown, sep: unknown) => (list as string[]).join(sep as string));
    const guardians = ["Gamora", "Groot", "Nebula", "Rocket", "Star-Lord"];
    expect(templateSet([["master", master]], { join }).execute("master", guardians)).toBe("Names:\n- Gamora\n- Groot\n- Nebula\n- Rocket\n- Star-Lord\n");
    expect(templateSet([["master", master], ["master", overlay]], { join }).execute("master", guardians)).toBe("Names: Gamora, Groot, Nebula, Rocket, Star-Lord");
  });

  test("ExampleTemplate_glob: templates in several files invoking each other", () => {
    const set = templateSet([
      ["T0.tmpl", `T0 invokes T1: ({{template "T1"}})`],
      ["T1.tmpl", `{{define "T1"}}T1 invokes T2: ({{template "T2"}}){{end}}`],
      ["T2.tmpl", `{{define "T2"}}This is T2{{end}}`],
    ]);
    expect(set.execute("T0.tmpl", undefined)).toBe("T0 invokes T1: (T1 invokes T2: (This is T2))");
  });

  test("ExampleTemplate_helpers: shared helpers, and a driver that redefines one", () => {
    const helpers = `{{define "T1"}}ONE{{end}}{{define "T2"}}TWO{{end}}{{define "T3"}}{{template "T1"}} {{template "T2"}}{{end}}{{template "T3"}}`;
    expect(templateSet([["driver1", helpers]]).execute("driver1", undefined)).toBe("ONE TWO");
    const driver2 = templateSet([["driver1", helpers], ["driver2", `{{define "T2"}}dos{{end}}{{template "T3"}}`]]);
    expect(driver2.execute("driver2", undefined)).toBe("ONE dos");
  });

  test("ExampleTemplate_func: a custom function in pipelines", () => {
    const text = `
Input: {{printf "%q" .}}
Output 0: {{title .}}
Output 1: {{title . | printf "%q"}}
Output 2: {{printf "%q" . | title}}
`;
    expect(render(text, "the go programming language")).toBe(`
Input: "the go programming language"
Output 0: The Go Programming Language
Output 1: "The Go Programming Language"
Output 2: "The Go Programming Language"
`);
  });

  test("the package doc's pipelines all print \"output\"", () => {
    const examples = [
      `{{"\\"output\\""}}`,
      "{{`\"output\"`}}",
      `{{printf "%q" "output"}}`,
      `{{"output" | printf "%q"}}`,
      `{{printf "%q" (print "out" "put")}}`,
      `{{"put" | printf "%s%s" "out" | printf "%q"}}`,
      `{{"output" | printf "%s" | printf "%q"}}`,
      `{{with "output"}}{{printf "%q" .}}{{end}}`,
      `{{with $x := "output" | printf "%q"}}{{$x}}{{end}}`,
      `{{with $x := "output"}}{{printf "%q" $x}}{{end}}`,
      `{{with $x := "output"}}{{$x | printf "%q"}}{{end}}`,
    ];
    for (const e of examples) expect(render(e), e).toBe('"output"');
  });

  test("the package doc's text and spaces example: trim markers", () => {
    expect(render("{{23 -}} < {{- 45}}")).toBe("23<45");
  });

  test("the package doc's variables: range with index and element, $ as the data", () => {
    expect(render("{{range $index, $element := .}}{{$index}}:{{$element}};{{end}}", ["a", "b"])).toBe("0:a;1:b;");
    expect(render("{{range .}}{{$.n}}{{.}} {{end}}", undefined)).toBe("");
    expect(render("{{range .l}}{{$.n}}{{.}} {{end}}", { l: [1, 2], n: "x" })).toBe("x1 x2 ");
    expect(render(`{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}`)).toBe("2");
  });

  test("the package doc's range: else, maps in sorted key order, break and continue, integers", () => {
    expect(render("{{range .}}x{{else}}empty{{end}}", [])).toBe("empty");
    expect(render("{{range $k, $v := .}}{{$k}}={{$v}} {{end}}", { b: 2, a: 1, c: 3 })).toBe("a=1 b=2 c=3 ");
    expect(render("{{range .}}{{if eq . 3}}{{break}}{{end}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}", [0, 1, 2, 3, 4])).toBe("02");
    expect(render("{{range 3}}{{.}}{{end}}")).toBe("012");
  });

  test("the package doc's functions: and/or return an argument, not, comparisons, len, index, slice", () => {
    expect(render(`{{and 1 0 "x"}} {{and 1 "x"}} {{or 0 "" "y"}} {{or 0 ""}}|{{not 0}}`)).toBe('0 x y |true');
    expect(render(`{{eq .a "x" "y"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}`, { a: "y" })).toBe("true true true true true false");
    expect(render(`{{len .}} {{index . 1}} {{slice . 1 2}} {{len "héllo"}}`, ["a", "b", "c"])).toBe("3 b [b] 6");
    expect(render(`{{index .m "k" 1}}`, { m: { k: ["p", "q"] } })).toBe("q");
    expect(render(`{{html "<a href='x'>"}} {{js "it's"}} {{urlquery "a b&c"}}`)).toBe("&lt;a href=&#39;x&#39;&gt; it\\'s a+b%26c");
  });

  test("the package doc's comments and nested templates with dot", () => {
    expect(render(`a{{/* a comment */}}b{{- /* trimmed */ -}} c`)).toBe("abc");
    expect(render(`{{define "T"}}[{{.}}]{{end}}{{template "T" .x}}{{template "T"}}`, { x: 5 })).toBe("[5][<no value>]");
  });
});
