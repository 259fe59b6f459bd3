/**
 * AWS SDK v3 errors carry the service's error code as `name` and the HTTP status in
 * `$metadata`; every AWS caller (ECR, EC2, SSM) reads them here, never from the message.
 */

interface SdkErrorShape {
  name?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The service's error code (`ThrottlingException`, `ParameterNotFound`, ...), or "" when there is none. */
export function awsErrorCode(err: unknown): string {
  const name = typeof err === "object" && err !== null ? (err as SdkErrorShape).name : undefined;
  return typeof name === "string" ? name : "";
}

/** The HTTP status of the service's answer; undefined when none came (a network failure). */
export function awsHttpStatus(err: unknown): number | undefined {
  const status = typeof err === "object" && err !== null ? (err as SdkErrorShape).$metadata?.httpStatusCode : undefined;
  return typeof status === "number" ? status : undefined;
}

/** The service says the fault is its own (a 5xx, whatever the code). */
export function isAwsServerFault(err: unknown): boolean {
  const fault = typeof err === "object" && err !== null ? (err as SdkErrorShape).$fault : undefined;
  const status = awsHttpStatus(err);
  return fault === "server" || (status !== undefined && status >= 500);
}

/** Codes meaning "slow down", across the services slipway calls (ECR, EC2, SSM). */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "Throttling",
]);

export function isAwsThrottle(err: unknown): boolean {
  return THROTTLING_CODES.has(awsErrorCode(err));
}
