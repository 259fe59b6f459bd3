import { describe, expect, it } from "vitest";
import { digestOfStageTag } from "../../../src/build/names.ts";
import { slugTag, tagsFromFlags } from "../../../src/build/remote/tags.ts";
import { cacheTag, isCacheTag } from "../../../src/cache/tag.ts";
import { UsageError } from "../../../src/errors.ts";

describe("cache tags", () => {
  it("are stable, valid registry tags recognised as caches", () => {
    const tag = cacheTag("shop", "cache:/root/.npm", "main");
    expect(tag).toBe(cacheTag("shop", "cache:/root/.npm", "main"));
    expect(tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/);
    expect(isCacheTag(tag)).toBe(true);
  });

  it("differ by project, mount id and ref", () => {
    const tags = new Set([
      cacheTag("shop", "a", "main"), cacheTag("shop2", "a", "main"), cacheTag("shop", "b", "main"), cacheTag("shop", "a", "feature/x"),
      // The separator keeps ("ab", "c") and ("a", "bc") apart.
      cacheTag("ab", "c", "main"), cacheTag("a", "bc", "main"),
    ]);
    expect(tags.size).toBe(6);
  });

  it("never look like stage tags, and no ref's slug looks like them", () => {
    const tag = cacheTag("p", "id", "main");
    expect(digestOfStageTag(tag)).toBeUndefined();
    expect(isCacheTag(`stage-${"a".repeat(64)}`)).toBe(false);
    for (const ref of ["main", "feature/login", "release-1.2", "v1.0.0", "a.b_c", "cache", "x/../y", "cache..1234"]) {
      expect(isCacheTag(slugTag(ref.replace("..", ".")))).toBe(false);
    }
  });

  it("cannot be written by --tag", () => {
    const tag = cacheTag("p", "id", "main");
    expect(() => tagsFromFlags({ tag: [tag] }, {})).toThrow(UsageError);
    expect(() => tagsFromFlags({ tag: ["a..b"] }, {})).toThrow(/reserved for dependency caches/);
    expect(tagsFromFlags({ tag: ["v1.2"] }, {})).toEqual(["v1.2"]);
  });
});
