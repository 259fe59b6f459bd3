import { describe, expect, test } from "vitest";
import { configError, image, META, parse } from "./support.ts";

describe("gitVisibility", () => {
  test("werf.yaml and dappfile.yml default to werf's view, slipway.yaml to the strict one", () => {
    expect(image(parse(`${META}image: a\nfrom: alpine\n`), "a").gitVisibility).toBe("werf");
    expect(image(parse(`image: a\nfrom: alpine\n`, { file: "dappfile.yml" }), "a").gitVisibility).toBe("werf");
    expect(image(parse(`image: a\nfrom: alpine\n`, { file: "slipway.yaml" }), "a").gitVisibility).toBe("strict");
    expect(image(parse(`image: a\nfrom: alpine\n`, { file: "ci/slipway.yml" }), "a").gitVisibility).toBe("strict");
  });

  test("either view can be chosen per image; anything else is refused with its position", () => {
    expect(image(parse(`${META}image: a\nfrom: alpine\ngitVisibility: strict\n`), "a").gitVisibility).toBe("strict");
    expect(image(parse(`image: a\nfrom: alpine\ngitVisibility: werf\n`, { file: "slipway.yaml" }), "a").gitVisibility).toBe("werf");
    const err = configError(`${META}image: a\nfrom: alpine\ngitVisibility: all\n`);
    expect([err.line, err.field]).toEqual([6, "gitVisibility"]);
    expect(err.message).toContain("expected werf or strict");
  });
});
