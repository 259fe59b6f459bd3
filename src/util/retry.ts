import { setTimeout as sleep } from "node:timers/promises";

/**
 * The one retry policy: attempts, exponential backoff with jitter, and the server's
 * Retry-After when it sent one. Every client that retries (registry, engine transfers,
 * EC2/SSM, GitLab) runs through `retry` with its own classifier of what is transient.
 */
export interface RetryPolicy {
  /** Total attempts including the first (1 = no retry). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Injected for tests; defaults to setTimeout / Math.random. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Says whether a failure is worth another attempt; classify by status and code, never message text. */
export type Retryable = (err: unknown) => boolean;

/** Five attempts over about 4 s (250 ms doubling to 2 s), capped at 8 s a wait. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8_000 };

/** Never wait more than a minute on one retry, whatever the server hints. */
const MAX_HINT_MS = 60_000;

/** Retry-After values seen on 429/503 responses, keyed by the error that carried them. */
const retryAfter = new WeakMap<Error, number>();

/** Remembers a response's Retry-After header on the error it became. */
export function withRetryAfter<E extends Error>(err: E, header: string | null): E {
  const ms = parseRetryAfter(header);
  if (ms !== undefined) retryAfter.set(err, ms);
  return err;
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with jitter (half fixed, half random), at least Retry-After when the server sent one. */
export function backoffDelay(policy: RetryPolicy, attempt: number, err: unknown): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const random = policy.random ?? Math.random;
  const jittered = exp / 2 + (exp / 2) * random();
  const hinted = err instanceof Error ? retryAfter.get(err) : undefined;
  return hinted !== undefined ? Math.min(Math.max(hinted, jittered), MAX_HINT_MS) : jittered;
}

/** Runs `op` up to policy.attempts times while it fails with an error `retryable` accepts. */
export async function retry<T>(policy: RetryPolicy, retryable: Retryable, op: () => Promise<T>): Promise<T> {
  const wait = policy.sleep ?? ((ms: number) => sleep(ms));
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (attempt >= policy.attempts || !retryable(err)) throw err;
      await wait(backoffDelay(policy, attempt, err));
    }
  }
}
