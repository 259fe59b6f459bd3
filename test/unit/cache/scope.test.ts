import { describe, expect, it } from "vitest";
import { lookupRefs, scopeFrom } from "../../../src/cache/scope.ts";

describe("cache scope", () => {
  it("reads the build's ref, then the default branch's", () => {
    expect(lookupRefs({ ref: "feature/x", defaultBranch: "main" })).toEqual(["feature/x", "main"]);
    expect(lookupRefs({ ref: "main", defaultBranch: "main" })).toEqual(["main"]);
  });

  it("takes flags first, then GitLab's variables, then the checked-out branch", () => {
    const env = { CI_COMMIT_REF_NAME: "feature/y", CI_DEFAULT_BRANCH: "trunk" };
    expect(scopeFrom({ cacheRef: "r", cacheDefaultBranch: "d" }, env, "b")).toEqual({ ref: "r", defaultBranch: "d" });
    expect(scopeFrom({}, env, "b")).toEqual({ ref: "feature/y", defaultBranch: "trunk" });
    expect(scopeFrom({}, {}, "b")).toEqual({ ref: "b", defaultBranch: "main" });
    // Detached HEAD outside CI: the default branch's own cache.
    expect(scopeFrom({}, {}, undefined)).toEqual({ ref: "main", defaultBranch: "main" });
  });
});
