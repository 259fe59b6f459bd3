import type { LaunchRequest } from "../../src/fleet/launcher.ts";
import type { DedupeStore, LaunchQueue } from "../../src/functions-config/ports.ts";

export type { DedupeStore, LaunchQueue };

/** In-memory dedupe with a bounded memory: the oldest keys are forgotten first. */
export function memoryDedupe(maxKeys = 10_000): DedupeStore {
  const keys = new Set<string>();
  return {
    async claim(key) {
      if (keys.has(key)) return false;
      keys.add(key);
      if (keys.size > maxKeys) keys.delete(keys.values().next().value as string);
      return true;
    },
    async release(key) {
      keys.delete(key);
    },
  };
}

/** A queue that only records what was sent; tests and dry runs read `sent`. */
export function memoryQueue(): LaunchQueue & { sent: LaunchRequest[] } {
  const sent: LaunchRequest[] = [];
  return {
    sent,
    async send(req) {
      sent.push(req);
    },
  };
}
