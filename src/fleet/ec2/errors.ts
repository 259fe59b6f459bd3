/** AWS SDK v3 errors carry the service's error code as `name`; classify by that, never by text. */
export function awsErrorCode(err: unknown): string {
  return typeof err === "object" && err !== null && typeof (err as { name?: unknown }).name === "string" ? (err as { name: string }).name : "";
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
  return CAPACITY_CODES.has(awsErrorCode(err));
}

export function isThrottle(err: unknown): boolean {
  const code = awsErrorCode(err);
  return code === "RequestLimitExceeded" || code === "Throttling" || code === "ThrottlingException";
}

/**
 * Retries `fn` on throttling with exponential backoff and full jitter; other errors pass through.
 * `sleep` is injected so tests do not wait.
 */
export async function withBackoff<T>(fn: () => Promise<T>, sleep: (ms: number) => Promise<void>, attempts = 6, baseMs = 200): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!isThrottle(err) || i >= attempts) throw err;
      await sleep(Math.random() * baseMs * 2 ** i);
    }
  }
}
