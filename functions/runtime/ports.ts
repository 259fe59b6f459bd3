import type { LaunchRequest } from "../../src/fleet/launcher.ts";

/** Where accepted job events go; the launcher consumes them. */
export interface LaunchQueue {
  send(req: LaunchRequest): Promise<void>;
}

/**
 * Remembers which job ids were already queued. `claim` answers true exactly once per key
 * (until `release`), so duplicate and retried deliveries queue nothing more.
 */
export interface DedupeStore {
  claim(key: string): Promise<boolean>;
  release(key: string): Promise<void>;
}

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
