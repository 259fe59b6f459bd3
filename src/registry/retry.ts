import { RegistryError } from "../errors.ts";
import { THROTTLING_CODES } from "../util/aws-errors.ts";
import { retry, type RetryPolicy } from "../util/retry.ts";

export { DEFAULT_RETRY, backoffDelay, parseRetryAfter, withRetryAfter } from "../util/retry.ts";

/** RegistryError code used for failures below HTTP (reset, refused, hang up, fetch failed). */
export const NETWORK_ERROR = "NETWORK_ERROR";

/** The registry's classifier: 429, 5xx, connection failures and throttling are transient; every other 4xx is final. */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof RegistryError)) return false;
  if (err.status === 429 || (err.status !== undefined && err.status >= 500)) return true;
  return err.code === NETWORK_ERROR || (err.code !== undefined && THROTTLING_CODES.has(err.code));
}

/** Runs a registry operation under the shared retry policy with the registry's classifier. */
export function withRetry<T>(policy: RetryPolicy, op: () => Promise<T>): Promise<T> {
  return retry(policy, isRetryable, op);
}
