/**
 * The request line checks every HTTP adapter makes before any other work, so no handler
 * ever sees (and no adapter ever throws on) a request the Fetch API cannot represent:
 * the Request constructor throws on TRACE, CONNECT and TRACK, and `new URL` on targets
 * such as `http://[::1/webhook`. Both are the client's mistake: 405 and 400, never 500.
 */

/** The methods handlers may be asked for. WebDAV, TRACE, CONNECT, ... are refused for every path. */
export const ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;
const allowed = new Set<string>(ALLOWED_METHODS);

export type RequestLine = { ok: true; url: URL } | { ok: false; response: Response };

const refuse = (status: number, error: string, headers: Record<string, string> = {}): RequestLine => ({
  ok: false,
  // The body may not have been read: closing is the only safe end for this connection.
  response: new Response(JSON.stringify({ error }), { status, headers: { "content-type": "application/json", connection: "close", ...headers } }),
});

/** The method, then the target (origin-form `/path?q`, or absolute-form) resolved against `base`. */
export function checkRequestLine(method: string, target: string, base: string): RequestLine {
  if (!allowed.has(method)) return refuse(405, "method not allowed", { allow: ALLOWED_METHODS.join(", ") });
  // Origin-form must start with "/"; absolute-form must parse on its own ("*" is OPTIONS-only).
  const star = target === "*" && method === "OPTIONS";
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(target);
  if (!star && !absolute && !target.startsWith("/")) return refuse(400, "bad request target");
  let url: URL;
  try {
    // Origin-form is appended, not resolved: "//x" is a path here, not another host.
    url = star ? new URL(base) : absolute ? new URL(target) : new URL(`${base.replace(/\/$/, "")}${target}`);
  } catch {
    return refuse(400, "bad request target");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return refuse(400, "bad request target");
  return { ok: true, url };
}

/** The 405 answer for a CONNECT (node:http hands those over as a raw socket). */
export function rawMethodNotAllowed(): string {
  const body = JSON.stringify({ error: "method not allowed" });
  return `HTTP/1.1 405 Method Not Allowed\r\nallow: ${ALLOWED_METHODS.join(", ")}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
}
