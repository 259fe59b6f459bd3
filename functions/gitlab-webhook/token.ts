/**
 * Constant-time comparison of the X-Gitlab-Token header with the secret: both are hashed
 * first (SHA-256, Web Crypto) so neither the length nor a common prefix shows in the timing.
 */
export async function tokenMatches(given: string | null, secret: string): Promise<boolean> {
  if (given === null || secret === "") return false;
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(given)),
    crypto.subtle.digest("SHA-256", enc.encode(secret)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/** Reads at most `limit` bytes of the body; undefined when it is larger. */
export async function readLimited(req: Request, limit: number): Promise<string | undefined> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) return undefined;
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) (all.set(c, at), (at += c.byteLength));
  return new TextDecoder().decode(all);
}
