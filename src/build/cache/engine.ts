import type { Engine } from "../../engine/types.ts";
import { stageRef } from "../names.ts";
import { StageGoneError } from "../remote/store.ts";
import type { StageCache } from "./types.ts";

/** Stages as the engine's images, `slipway-stages/<project>:<digest>`: what `slipway build` reuses. */
export class EngineStageCache implements StageCache {
  readonly where = "engine";

  constructor(readonly engine: Engine, readonly project: string) {}

  ref(digest: string): string {
    return stageRef(this.project, digest);
  }

  async find(digest: string): Promise<{ digest: string; ref: string } | undefined> {
    const ref = this.ref(digest);
    return (await this.engine.inspectImage(ref)) ? { digest, ref } : undefined;
  }

  async findMany(digests: string[]): Promise<Set<string>> {
    const found = await Promise.all(digests.map(async (d) => ((await this.find(d)) ? d : undefined)));
    return new Set(found.filter((d) => d !== undefined));
  }

  async fetch(digest: string, localRef: string): Promise<{ bytes: number }> {
    const ref = this.ref(digest);
    if (!(await this.engine.inspectImage(ref))) throw new StageGoneError(digest, this.where);
    if (localRef !== ref) await this.engine.tag(ref, localRef);
    return { bytes: 0 };
  }

  async publish(digest: string, localRef: string): Promise<{ outcome: "published" | "adopted"; bytes: number }> {
    const ref = this.ref(digest);
    // A stage built under its own name is stored by being built.
    if (localRef === ref) return { outcome: "published", bytes: 0 };
    if (await this.engine.inspectImage(ref)) return { outcome: "adopted", bytes: 0 };
    await this.engine.tag(localRef, ref);
    return { outcome: "published", bytes: 0 };
  }
}
