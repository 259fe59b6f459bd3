import { describe, expect, it } from "vitest";
import { imagesToClean } from "../../../src/cleanup/repos.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { publishChain, publishImage } from "../../support/synthetic-images.ts";

describe("imagesToClean", () => {
  it("adds every REPO/<name> the registry lists to the config's images, one level only, no foreign REPO", async () => {
    const registry = new MemoryRegistry("r.test");
    const [stage] = await publishChain(registry, "shop", [{ name: "from" }]);
    await publishImage(registry, "shop", { image: "app", tag: "main", last: stage });
    await publishImage(registry, "shop", { image: "worker", tag: "main", last: stage });
    // Another project's REPO nested under ours holds stage tags: not one of our image repositories.
    const [foreign] = await publishChain(registry, "shop/other", [{ name: "from" }]);
    await publishImage(registry, "shop/other", { image: "x", tag: "main", last: foreign });
    const list = async () => ["shop", "shop/app", "shop/worker", "shop/other", "shop/other/x", "shopping/app", "elsewhere"];
    expect(await imagesToClean(registry, "shop", ["app", ""], list)).toEqual(["app", "", "worker"]);
    // Config names map to repositories as the builder maps them (App -> shop/app): not listed twice.
    expect(await imagesToClean(registry, "shop", ["App"], list)).toEqual(["App", "worker"]);
  });

  it("without a lister (plain OCI) the config's images are all there is", async () => {
    expect(await imagesToClean(new MemoryRegistry("r.test"), "shop", ["app"])).toEqual(["app"]);
  });
});
