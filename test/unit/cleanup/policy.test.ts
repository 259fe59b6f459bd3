import { describe, expect, it } from "vitest";
import { parseYamlDocs } from "../../../src/config/yaml-source.ts";
import { ConfigError } from "../../../src/errors.ts";
import { compilePattern, policyFromMetaDoc, policyFromValue } from "../../../src/cleanup/policy.ts";
import { parseDuration } from "../../../src/cleanup/duration.ts";
import { withinLimit } from "../../../src/cleanup/refs.ts";
import { finalRepository } from "../../../src/cleanup/repos.ts";

function fromYaml(text: string) {
  return policyFromMetaDoc(parseYamlDocs(text, "slipway.yaml")[0], "slipway.yaml");
}

describe("cleanup policy", () => {
  it("has documented defaults: last 10 git tags, every branch, 2h grace", () => {
    const p = policyFromValue(undefined);
    expect(p.keepPolicies.map((k) => [k.kind, k.pattern, k.limit])).toEqual([["tag", "/.*/", { last: 10, operator: "And" }], ["branch", "/.*/", undefined]]);
    expect(p.keepPolicies[1].imagesPerReference).toEqual({ last: 10, operator: "And" });
    expect(p.graceMs).toBeUndefined();
  });

  it("reads werf-style keepPolicies, keep and grace", () => {
    const p = fromYaml(`project: demo
cleanup:
  keepPolicies:
    - references:
        branch: release-*
        limit: { last: 3, in: 168h, operator: Or }
      imagesPerReference: { last: 2 }
  keep: [production]
  grace: 30m
`);
    expect(p.keepPolicies[0]).toMatchObject({ kind: "branch", pattern: "release-*", limit: { last: 3, inMs: 168 * 3_600_000, operator: "Or" }, imagesPerReference: { last: 2, operator: "And" } });
    expect(p.keepPolicies[0].matches("release-1.2")).toBe(true);
    expect(p.keepPolicies[0].matches("main")).toBe(false);
    expect(p.keep[0].matches("production")).toBe(true);
    expect(p.graceMs).toBe(30 * 60_000);
  });

  it.each([
    ["cleanup:\n  keepPolicies:\n    - references:\n        branch: main\n        limit: { last: many }\n", 6, "cleanup.keepPolicies[0].references.limit.last"],
    ["cleanup:\n  keepPolicies:\n    - references: { branch: main, tag: v1 }\n", 4, "cleanup.keepPolicies[0].references"],
    ["cleanup:\n  grace: soon\n", 3, "cleanup.grace"],
    ["cleanup:\n  keep: ['/(/']\n", 3, "cleanup.keep[0]"],
    ["cleanup:\n  keepPolicy: []\n", 3, "cleanup.keepPolicy"],
  ])("refuses bad config with file:line and field (%#)", (body, line, field) => {
    let err: unknown;
    try {
      fromYaml(`project: demo\n${body}`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ file: "slipway.yaml", line, field });
  });

  it("suggests the key meant", () => {
    expect(() => fromYaml("project: demo\ncleanup:\n  keepPolicy: []\n")).toThrow(/did you mean "keepPolicies"/);
  });

  it("matches regex (unanchored, as werf), glob and exact names", () => {
    expect(compilePattern("/^feat/")("feature-1")).toBe(true);
    expect(compilePattern("/main/")("not-main")).toBe(true);
    expect(compilePattern("v*")("v1.0")).toBe(true);
    expect(compilePattern("main")("main2")).toBe(false);
  });

  it("parses durations", () => {
    expect(parseDuration("1h30m")).toBe(90 * 60_000);
    expect(parseDuration("7d")).toBe(7 * 86_400_000);
    expect(parseDuration("0s")).toBe(0);
    expect(parseDuration("2 hours")).toBeUndefined();
  });

  it("combines last and in with And / Or; unknown times count as recent", () => {
    const now = new Date(1_000_000_000);
    const old = new Date(now.getTime() - 10_000);
    expect(withinLimit({ last: 1, inMs: 1000, operator: "And" }, 0, old, now)).toBe(false);
    expect(withinLimit({ last: 1, inMs: 1000, operator: "Or" }, 0, old, now)).toBe(true);
    expect(withinLimit({ inMs: 1000, operator: "And" }, 5, undefined, now)).toBe(true);
  });

  it("maps image names to the repositories the publisher writes", () => {
    expect(finalRepository("demo", "")).toBe("demo");
    expect(finalRepository("demo", "api")).toBe("demo/api");
    expect(finalRepository("demo", "Web_App")).toBe("demo/web_app");
    expect(finalRepository("demo", "a.b")).toBe("demo/a.b");
  });
});
