/** Sprig's functions as werf configs use them, each with Sprig's output. */
import { describe, expect, test } from "vitest";
import { render, renderError } from "./template-support.ts";

const cases = (pairs: [string, string][], data?: unknown) => {
  for (const [text, want] of pairs) expect(render(text, data), text).toBe(want);
};

describe("Sprig functions", () => {
  test("defaults: default, empty, coalesce, ternary, required-like checks", () => {
    cases([
      [`{{ default "d" "" }} {{ default "d" "x" }} {{ "" | default "p" }} {{ default "d" .missing }} {{ default 5 0 }}`, "d x p d 5"],
      [`{{ empty "" }} {{ empty 0 }} {{ empty (list) }} {{ empty (dict) }} {{ empty "a" }} {{ empty .missing }}`, "true true true true false true"],
      [`{{ coalesce "" .missing "c" "d" }} {{ coalesce 0 "" }}`, "c <no value>"],
      [`{{ ternary "y" "n" true }} {{ true | ternary "y" "n" }} {{ ternary "y" "n" (eq 1 2) }}`, "y y n"],
    ], {});
  });

  test("strings: quote, squote, trim family, case, replace, contains, prefixes", () => {
    cases([
      [`{{ quote "a\\"b" 1 }} {{ squote "x" }} {{ "v" | quote }}`, `"a\\"b" "1" 'x' "v"`],
      [`[{{ trim "  a b \\n" }}] [{{ trimAll "$" "$$5.00$" }}] [{{ trimPrefix "v" "v1.2" }}] [{{ trimSuffix ".git" "repo.git" }}]`, "[a b] [5.00] [1.2] [repo]"],
      [`{{ upper "ab" }} {{ lower "AB" }} {{ title "hello wide world" }} {{ "x-y" | upper }}`, "AB ab Hello Wide World X-Y"],
      [`{{ replace "." "-" "a.b.c" }} {{ "a.b" | replace "." "_" }}`, "a-b-c a_b"],
      [`{{ contains "ell" "hello" }} {{ hasPrefix "he" "hello" }} {{ hasSuffix "lo" "hello" }} {{ hasPrefix "x" "hello" }}`, "true true true false"],
      [`{{ repeat 3 "ab" }} {{ substr 1 3 "hello" }} {{ trunc 3 "hello" }} {{ nospace "a b\\tc" }} {{ cat "a" 1 nil "b" }}`, "ababab el hel abc a 1 b"],
      [`{{ snakecase "FirstName" }} {{ kebabcase "FirstName" }} {{ camelcase "http_server" }} {{ plural "one" "many" 2 }}`, "first_name first-name HttpServer many"],
    ]);
  });

  test("indent and nindent indent every line", () => {
    cases([[`x:{{ "a: 1\\nb: 2" | nindent 2 }}\n{{ indent 4 "p\\nq" }}`, "x:\n  a: 1\n  b: 2\n    p\n    q"]]);
  });

  test("split, splitList, join, list functions", () => {
    cases([
      [`{{ $p := split "/" "a/b/c" }}{{ $p._0 }}{{ $p._2 }} {{ splitList "," "a,b" }} {{ join "-" (list "a" 1 nil "b") }} {{ "x y" | splitList " " | join "+" }}`, "ac [a b] a-1-b x+y"],
      [`{{ list 1 "a" }} {{ first (list 1 2) }} {{ last (list 1 2) }} {{ rest (list 1 2 3) }} {{ initial (list 1 2 3) }} {{ first (list) }}`, "[1 a] 1 2 [2 3] [1 2] <no value>"],
      [`{{ uniq (list 1 2 1 "a" "a") }} {{ has 2 (list 1 2) }} {{ has "x" (list 1 2) }} {{ without (list 1 2 3) 2 }} {{ compact (list 0 1 "" "a") }}`, "[1 2 a] true false [1 3] [1 a]"],
      [`{{ append (list 1) 2 }} {{ prepend (list 1) 0 }} {{ concat (list 1) (list 2 3) }} {{ reverse (list 1 2 3) }} {{ sortAlpha (list "b" "a") }}`, "[1 2] [0 1] [1 2 3] [3 2 1] [a b]"],
      [`{{ until 3 }} {{ until 0 }} {{ untilStep 0 10 4 }} {{ seq 3 }}|{{ seq 2 4 }}|{{ seq 0 3 9 }}|{{ seq 3 1 }}`, "[0 1 2] [] [0 4 8] 1 2 3|2 3 4|0 3 6 9|3 2 1"],
    ]);
  });

  test("dicts: dict, get, set, hasKey, keys, pluck, merge, dig", () => {
    cases([
      [`{{ $d := dict "b" 2 "a" 1 }}{{ $d }} {{ get $d "a" }} [{{ get $d "z" }}] {{ hasKey $d "b" }} {{ keys $d }} {{ values $d }}`, "map[a:1 b:2] 1 [] true [a b] [1 2]"],
      [`{{ $d := dict }}{{ $_ := set $d "k" "v" }}{{ $d.k }} {{ unset $d "k" }} {{ dict "odd" }}`, "v map[] map[odd:]"],
      [`{{ pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3) }} {{ pick (dict "a" 1 "b" 2) "a" }} {{ omit (dict "a" 1 "b" 2) "a" }}`, "[1 3] map[a:1] map[b:2]"],
      [`{{ merge (dict "a" 1 "n" (dict "x" 1)) (dict "a" 2 "b" 3 "n" (dict "y" 2)) }} {{ mergeOverwrite (dict "a" 1) (dict "a" 2) }}`, "map[a:1 b:3 n:map[x:1 y:2]] map[a:2]"],
      [`{{ dig "a" "b" "none" (dict "a" (dict "b" "found")) }} {{ dig "a" "x" "none" (dict "a" (dict "b" 1)) }}`, "found none"],
    ]);
  });

  test("math, conversions and comparisons", () => {
    cases([
      [`{{ add 1 2 3 }} {{ add1 4 }} {{ sub 5 7 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ div -7 2 }} {{ mod 7 3 }} {{ max 1 5 3 }} {{ min 4 2 }}`, "6 5 -2 24 3 -3 1 5 2"],
      [`{{ add "2" 3 }} {{ atoi "42" }} {{ atoi "x" }} {{ int "12" }} {{ int 3.9 }} {{ toString 5 }} {{ float64 "1.5" }} {{ addf 1.5 1 }}`, "5 42 0 12 3 5 1.5 2.5"],
      [`{{ eq (add 1 1) 2 }} {{ lt (len (list 1)) 2 }} {{ and (eq 1 1) (ne "a" "b") }} {{ or false (not true) }}`, "true true true false"],
    ]);
    expect(renderError("{{ div 1 0 }}")).toBe("1:4: at <div 1 0>: error calling div: runtime error: integer divide by zero");
  });

  test("encodings, hashes, YAML and JSON", () => {
    cases([
      [`{{ b64enc "hello" }} {{ b64dec "aGVsbG8=" }} {{ sha256sum "abc" }} {{ sha1sum "abc" }}`,
        "aGVsbG8= hello ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad a9993e364706816aba3e25717850c26c9cd0d89d"],
      [`{{ toJson (dict "b" (list 1 "<x>") "a" nil) }} {{ fromJson "{\\"k\\":1}" }}`, `{"a":null,"b":[1,"\\u003cx\\u003e"]} map[k:1]`],
      [`{{ toYaml (dict "b" (list 1 2) "a" (dict "c" "d")) }}`, "a:\n  c: d\nb:\n- 1\n- 2"],
      [`{{ $v := fromYaml "a: 1\\nb: [x, y]" }}{{ $v.a }} {{ index $v.b 1 }} {{ (fromYaml "").x }}`, "1 y <no value>"],
    ]);
    cases([[`{{ mustToJson (list 1) }} {{ mustFirst (list 2 3) }} {{ mustRegexReplaceAll "a" "aba" "c" }} {{ (mustFromJson "{\\"a\\":1}").a }}`, "[1] 2 cbc 1"]]);
    expect(renderError(`{{ mustFromJson "{bad" }}`)).toMatch(/^1:4: at <mustFromJson "\{bad">: error calling mustFromJson: /);
    expect(renderError(`{{ fromYaml "[1, 2]" }}`)).toMatch(/^1:4: at <fromYaml "\[1, 2\]">: error calling fromYaml: yaml: unmarshal errors/);
  });

  test("regexes use Go's syntax: named groups, ${1} in replacements", () => {
    cases([
      [`{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "\${1}W" }} {{ regexReplaceAll "(?P<v>\\\\d+)" "v12" "<$v>" }} {{ regexMatch "^v[0-9]+$" "v12" }}`, "-W-xxW- v<12> true"],
      [`{{ regexFind "[0-9]+" "ab12cd34" }} {{ regexFindAll "[0-9]+" "ab12cd34" -1 }} {{ regexSplit "[,;]" "a,b;c" -1 }}`, "12 [12 34] [a b c]"],
    ]);
  });

  test("printf verbs commonly used: %s %d %v %q, widths and Go's in-band errors", () => {
    cases([
      [`{{ printf "%s|%d|%v|%q|%5s|%-4d|%05.1f|%x|%t|%%" "s" 42 (list 1 2) "q" "r" 7 3.14159 255 true }}`, 's|42|[1 2]|"q"|    r|7   |003.1|ff|true|%'],
      [`{{ printf "%d %s" "x" 1 }} {{ printf "%s" }} {{ printf "a" 1 }}`, "%!d(string=x) %!s(int=1) %!s(MISSING) a%!(EXTRA int=1)"],
      [`{{ print "a" 1 2 "b" }} {{ println "a" 1 }}`, "a1 2b a 1\n"],
    ]);
  });

  test("fail stops the render with its message; wrong argument types are refused as in Go", () => {
    expect(renderError(`\n  {{ fail "stop here" }}`)).toBe('2:6: at <fail "stop here">: error calling fail: stop here');
    expect(renderError(`{{ upper 1 }}`)).toBe("1:4: at <upper 1>: error calling upper: wrong type for value; expected string; got int");
    expect(renderError(`{{ indent "2" "x" }}`)).toBe('1:4: at <indent "2" "x">: error calling indent: wrong type for value; expected int; got string');
  });
});

describe("Sprig semver (Masterminds/semver v3 rules)", () => {
  test("semver parses loosely and exposes the version's parts", () => {
    cases([
      [`{{ (semver "1.2.3-beta.1+build5").Major }} {{ (semver "1.2.3-beta.1+build5").Minor }} {{ (semver "1.2.3-beta.1+build5").Patch }}`, "1 2 3"],
      [`{{ (semver "1.2.3-beta.1+build5").Prerelease }} {{ (semver "1.2.3-beta.1+build5").Metadata }}`, "beta.1 build5"],
      [`{{ (semver "v1.2").String }} {{ (semver "v1.2").Original }} {{ (semver "7").String }}`, "1.2.0 v1.2 7.0.0"],
    ]);
    expect(renderError(`{{ semver "not-a-version" }}`)).toMatch(/Invalid Semantic Version/);
  });

  test("semverCompare: operators, AND with commas or spaces, OR, ranges", () => {
    cases([
      [`{{ semverCompare ">=1.2.0" "1.3.0" }} {{ semverCompare ">= 1.2.0" "1.1.9" }} {{ semverCompare "=1.2.3" "v1.2.3" }}`, "true false true"],
      [`{{ semverCompare ">=1.2, <2" "1.9.9" }} {{ semverCompare ">=1.2 <2" "2.0.0" }} {{ semverCompare "<1 || >=3" "3.1.0" }}`, "true false true"],
      [`{{ semverCompare "~1.2.3" "1.2.9" }} {{ semverCompare "~1.2.3" "1.3.0" }} {{ semverCompare "~>1.2" "1.2.5" }}`, "true false true"],
      [`{{ semverCompare "^1.2.3" "1.9.0" }} {{ semverCompare "^1.2.3" "2.0.0" }} {{ semverCompare "^0.2.3" "0.3.0" }}`, "true false false"],
      [`{{ semverCompare "1.2.x" "1.2.7" }} {{ semverCompare "*" "4.5.6" }} {{ semverCompare "1.2 - 1.4.5" "1.4.5" }} {{ semverCompare "1.2 - 1.4.5" "1.4.6" }}`, "true true true false"],
      [`{{ semverCompare "!=1.2.3" "1.2.3" }} {{ semverCompare "!=1.2.3" "1.2.4" }} {{ semverCompare "=<1.2.3" "1.2.3" }}`, "false true true"],
    ]);
  });

  test("a prerelease only matches a constraint term that names a prerelease", () => {
    cases([
      [`{{ semverCompare ">=1.2.0" "1.3.0-rc.1" }} {{ semverCompare ">=1.3.0-rc.0" "1.3.0-rc.1" }}`, "false true"],
    ]);
  });

  test("a bad constraint or version fails the template", () => {
    expect(renderError(`{{ semverCompare ">>1" "1.0.0" }}`)).toMatch(/improper constraint/);
    expect(renderError(`{{ semverCompare ">1" "x.y" }}`)).toMatch(/Invalid Semantic Version/);
  });
});
