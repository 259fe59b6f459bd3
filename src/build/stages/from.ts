import type { NamedInput } from "../digest.ts";
import type { Stage, StageChange, StageContext } from "../stage.ts";
import { BuildError } from "../../errors.ts";

/**
 * The first stage: a base image pinned by its registry digest (`from`), or the last
 * stage of another image of this config (`fromImage` / `fromArtifact`).
 */
export function fromStage(ctx: StageContext): Stage {
  const { image } = ctx;
  const parentName = image.fromImage ?? image.fromArtifact;
  const resolve = (): { input: NamedInput; change: StageChange } => {
    if (parentName !== undefined) {
      const parent = ctx.imageResult(parentName);
      if (!parent) throw new BuildError(image.name, "from", `image ${parentName} has not been planned`);
      return { input: ["fromImage", parent.digest], change: { kind: "base", ref: parent.ref, local: true } };
    }
    const ref = image.from as string;
    const digest = ctx.baseDigest(ref);
    if (!digest) throw new BuildError(image.name, "from", `base image ${ref} is not resolved`);
    const repo = ref.includes("@") ? ref.slice(0, ref.indexOf("@")) : ref.replace(/:[^:/]+$/, "");
    return { input: ["baseDigest", digest], change: { kind: "base", ref: `${repo}@${digest}`, local: false } };
  };
  return {
    name: "from",
    kind: "from",
    isEmpty: () => false,
    inputs: () => [resolve().input, ["fromCacheVersion", image.fromCacheVersion ?? ""]],
    change: () => resolve().change,
    needs: () => (parentName !== undefined ? [resolve().input[1]] : []),
  };
}
