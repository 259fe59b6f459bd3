import { FleetError } from "../../errors.ts";
import { awsErrorCode, awsHttpStatus, isAwsServerFault, isAwsThrottle } from "../../util/aws-errors.ts";
import { retry, type RetryPolicy } from "../../util/retry.ts";

/** The AWS error code, whether the SDK error is raw or already wrapped in a FleetError. */
export function errorCode(err: unknown): string {
  return err instanceof FleetError ? err.code : awsErrorCode(err);
}

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
  return CAPACITY_CODES.has(errorCode(err));
}

/**
 * EC2 and SSM's classifier: throttling and server errors are transient. Every call we
 * make is safe to repeat (RunInstances carries a ClientToken; the rest are reads, tags,
 * terminations and parameter writes that treat "already" as done).
 */
export function isTransient(err: unknown): boolean {
  return isAwsThrottle(err) || isAwsServerFault(err);
}

/** Six attempts, 200 ms doubling; EC2's API throttles by token bucket, refilled each second. */
export const EC2_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 200, maxDelayMs: 10_000 };

/**
 * One EC2 or SSM call: retried on transient errors under the shared policy (`sleep` is
 * injected so tests do not wait); what still fails leaves as a FleetError carrying the AWS
 * code and status, so no SDK error crosses the fleet port.
 */
export async function awsCall<T>(what: string, fn: () => Promise<T>, sleep: (ms: number) => Promise<void>, policy: RetryPolicy = EC2_RETRY): Promise<T> {
  try {
    return await retry({ ...policy, sleep }, isTransient, fn);
  } catch (err) {
    const code = awsErrorCode(err) || "NETWORK_ERROR";
    const message = err instanceof Error ? err.message : String(err);
    throw new FleetError(`EC2 fleet ${what}: ${code}: ${message}`, code, isTransient(err) || code === "NETWORK_ERROR", awsHttpStatus(err), { cause: err });
  }
}
