import { withRetry } from "./retry.ts";
import type { CredentialSource, EcrPort, RetryPolicy } from "./types.ts";

/** ECR tokens last 12 hours; renew five minutes early so no request carries an expired one. */
const RENEW_BEFORE_MS = 5 * 60_000;

/** The ECR token as basic credentials, plus a way to drop it when the registry refuses it. */
export interface EcrTokenSource extends CredentialSource {
  /** `Basic base64(AWS:<token>)`, renewed when it is about to expire. */
  header(): Promise<string>;
  /** The registry refused the token (ECR: 403 DENIED "token has expired"): the next call gets a new one. */
  invalidate(): void;
}

/** Basic credentials from GetAuthorizationToken, cached until 5 minutes before expiry or until invalidated. */
export function ecrTokenCredentials(port: () => Promise<EcrPort>, retry: RetryPolicy, onCall?: () => void): EcrTokenSource {
  let cached: Promise<{ username: string; password: string; expiresAt: Date }> | undefined;
  let expiresAt = 0;
  const current = async () => {
    if (!cached || expiresAt - RENEW_BEFORE_MS <= Date.now()) {
      // Parallel requests share one GetAuthorizationToken call.
      const p = port().then((api) => withRetry(retry, () => {
        onCall?.();
        return api.getAuthorizationToken();
      }));
      cached = p;
      expiresAt = Number.POSITIVE_INFINITY;
      p.then((t) => (cached === p ? (expiresAt = t.expiresAt.getTime()) : undefined), () => (cached === p ? (cached = undefined) : undefined));
    }
    return cached;
  };
  return {
    async get() {
      const t = await current();
      return { username: t.username, password: t.password };
    },
    async header() {
      const t = await current();
      return `Basic ${Buffer.from(`${t.username}:${t.password}`).toString("base64")}`;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
