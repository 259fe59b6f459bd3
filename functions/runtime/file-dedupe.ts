import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { DedupeStore } from "./ports.ts";

/**
 * Dedupe keys in a JSON file (local mode), so a restarted `functions serve` still refuses
 * GitLab's redelivery of a job it already queued. Keys older than `ttlMs` are forgotten.
 * One process writes it (the server); writes are atomic renames.
 */
export function fileDedupe(file: string, ttlMs = 24 * 3_600_000, now = () => Date.now()): DedupeStore {
  let cache: Map<string, number> | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  const load = async () => {
    if (cache) return cache;
    const raw = await readFile(file, "utf8").then((t) => JSON.parse(t) as Record<string, number>, () => ({}));
    cache = new Map(Object.entries(raw));
    return cache;
  };
  const save = async (m: Map<string, number>) => {
    for (const [k, at] of m) if (now() - at > ttlMs) m.delete(k);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, JSON.stringify(Object.fromEntries(m)));
    await rename(`${file}.tmp`, file);
  };
  // Serialized, so two concurrent claims of one key cannot both win.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => undefined);
    return p;
  };
  return {
    claim: (key) =>
      serial(async () => {
        const m = await load();
        const at = m.get(key);
        if (at !== undefined && now() - at <= ttlMs) return false;
        m.set(key, now());
        await save(m);
        return true;
      }),
    release: (key) =>
      serial(async () => {
        const m = await load();
        if (m.delete(key)) await save(m);
      }),
  };
}
