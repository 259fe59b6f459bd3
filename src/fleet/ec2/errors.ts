import { awsErrorCode, awsHttpStatus, isAwsThrottle } from "../../util/aws-errors.ts";
import { retry, type RetryPolicy } from "../../util/retry.ts";

export { awsErrorCode };

/** Codes meaning "no capacity for this market/type/zone now": try the next option. */
const CAPACITY_CODES = new Set([
  "InsufficientInstanceCapacity",
  "InsufficientCapacity",
  "InsufficientHostCapacity",
  "InsufficientReservedInstanceCapacity",
  "SpotMaxPriceTooLow",
  "MaxSpotInstanceCountExceeded",
  "InstanceLimitExceeded",
  "VcpuLimitExceeded",
  "Unsupported",
]);

export function isCapacityError(err: unknown): boolean {
  return CAPACITY_CODES.has(awsErrorCode(err));
}

/**
 * EC2 and SSM's classifier: throttling and server errors are transient. Every call we
 * make is safe to repeat (RunInstances carries a ClientToken; the rest are reads, tags,
 * terminations and parameter writes that treat "already" as done).
 */
export function isTransient(err: unknown): boolean {
  const status = awsHttpStatus(err);
  return isAwsThrottle(err) || (status !== undefined && status >= 500);
}

/** Six attempts, 200 ms doubling; EC2's API throttles by token bucket, refilled each second. */
export const EC2_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 200, maxDelayMs: 10_000 };

/** Retries `fn` on transient AWS errors under the shared policy; `sleep` is injected so tests do not wait. */
export function withBackoff<T>(fn: () => Promise<T>, sleep: (ms: number) => Promise<void>, policy: RetryPolicy = EC2_RETRY): Promise<T> {
  return retry({ ...policy, sleep }, isTransient, fn);
}
