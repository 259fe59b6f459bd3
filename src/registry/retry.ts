import { setTimeout as sleep } from "node:timers/promises";
import { RegistryError } from "../errors.ts";
import type { RetryPolicy } from "./types.ts";

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8_000 };

/** RegistryError code used for failures below HTTP (reset, refused, hang up, fetch failed). */
export const NETWORK_ERROR = "NETWORK_ERROR";

/** SDK error names (ECR) that mean "slow down"; classification by name, as the SDK documents them. */
const THROTTLING_CODES = new Set(["ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "Throttling"]);

/** Retry-After values seen on 429/503 responses, keyed by the error that carried them. */
const retryAfter = new WeakMap<Error, number>();

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

/** 429, 5xx, connection failures and throttling are transient; every other 4xx is final. */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof RegistryError)) return false;
  if (err.status === 429 || (err.status !== undefined && err.status >= 500)) return true;
  return err.code === NETWORK_ERROR || (err.code !== undefined && THROTTLING_CODES.has(err.code));
}

/** Exponential backoff with jitter (half fixed, half random), at least Retry-After when the server sent one. */
export function backoffDelay(policy: RetryPolicy, attempt: number, err: unknown): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const random = policy.random ?? Math.random;
  const jittered = exp / 2 + (exp / 2) * random();
  const hinted = err instanceof Error ? retryAfter.get(err) : undefined;
  // Honour the server's hint, but never wait more than a minute on one retry.
  return hinted !== undefined ? Math.min(Math.max(hinted, jittered), 60_000) : jittered;
}

/** Runs `op` up to policy.attempts times while it fails with a retryable error. */
export async function withRetry<T>(policy: RetryPolicy, op: () => Promise<T>): Promise<T> {
  const wait = policy.sleep ?? ((ms: number) => sleep(ms));
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (attempt >= policy.attempts || !isRetryable(err)) throw err;
      await wait(backoffDelay(policy, attempt, err));
    }
  }
}
