import type { Engine } from "../../engine/types.ts";
import { StageGoneError, type RegistryStageStore } from "../remote/store.ts";
import type { StageCache } from "./types.ts";

/**
 * Stages in a registry's stages repository (`REPO:stage-<digest>`, see ../remote/store.ts),
 * moved in and out of the engine by the engine's own pull and push.
 */
export class RegistryStageCache implements StageCache {
  constructor(readonly store: RegistryStageStore, readonly engine: Engine) {}

  get where(): string {
    return `${this.store.registry.host}/${this.store.repository}`;
  }

  async find(digest: string): Promise<{ digest: string; ref: string } | undefined> {
    return (await this.store.has(digest)) ? { digest, ref: this.store.ref(digest) } : undefined;
  }

  findMany(digests: string[]): Promise<Set<string>> {
    return this.store.findMany(digests);
  }

  async fetch(digest: string, localRef: string): Promise<{ bytes: number }> {
    const remote = this.store.ref(digest);
    let bytes: number;
    try {
      ({ bytes } = await this.engine.pull(remote));
    } catch (err) {
      // Told apart by asking the registry, not by reading the engine's message.
      if (!(await this.store.has(digest))) throw new StageGoneError(digest, this.where);
      throw err;
    }
    if (localRef !== remote) {
      await this.engine.tag(remote, localRef);
      await this.engine.removeImage(remote).catch(() => undefined);
    }
    return { bytes };
  }

  async publish(digest: string, localRef: string): Promise<{ outcome: "published" | "adopted"; bytes: number }> {
    if (await this.store.has(digest)) return { outcome: "adopted", bytes: 0 };
    const remote = this.store.ref(digest);
    await this.engine.tag(localRef, remote);
    const { uploaded } = await this.engine.push(remote).finally(() => this.engine.removeImage(remote).catch(() => undefined));
    // The engine's manifest carries no publish time: written again with one, for cleanup's grace window.
    const manifest = await this.store.stamp(digest);
    // What crossed the wire: the compressed sizes of the layers the engine uploaded. The engine
    // names layers by diff id; the manifest lists the same layers, in the same order, by blob.
    const diffIds = (await this.engine.inspectImage(localRef))?.config.rootfs.diff_ids ?? [];
    const bytes = manifest.layers.filter((_, i) => uploaded.includes((diffIds[i] ?? "").slice(7, 19))).reduce((n, l) => n + l.size, 0);
    return { outcome: "published", bytes };
  }
}
