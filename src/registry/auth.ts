import { RegistryError } from "../errors.ts";
import { withRetryAfter } from "./retry.ts";
import type { HttpInit, HttpResponse } from "./transport.ts";
import type { Credential, CredentialSource } from "./types.ts";

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="...",service="...",scope="..."` -> { scheme: "bearer", params }. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) params[p[1].toLowerCase()] = p[2] ?? p[3];
  return { scheme: m[1].toLowerCase(), params };
}

function basicHeader(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

/**
 * Answers registry auth challenges: Basic (credentials sent on every later request)
 * and the Bearer token flow (token fetched from the realm, cached per scope until it
 * expires). Credentials are looked up once, lazily, so a credential helper runs at
 * most once per registry client.
 */
export class Authenticator {
  private basic: string | undefined;
  /** realm/service of the last Bearer challenge, so later scopes get a token without a 401 first. */
  private bearerRealm: Record<string, string> | undefined;
  private readonly tokens = new Map<string, { header: string; expiresAt: number }>();
  /** Token requests in flight per scope: parallel requests (findTags) share one. */
  private readonly pending = new Map<string, Promise<string>>();
  private credential: Promise<Credential | undefined> | undefined;

  constructor(
    private readonly host: string,
    private readonly credentials: CredentialSource | undefined,
    private readonly send: (url: string, init: HttpInit) => Promise<HttpResponse>,
  ) {}

  /** The Authorization header to send for a request needing `scope`, if we know one. */
  async header(scope: string): Promise<string | undefined> {
    const token = this.tokens.get(scope);
    if (token && token.expiresAt > Date.now()) return token.header;
    if (this.bearerRealm) return this.token(this.bearerRealm, scope);
    return this.basic;
  }

  /** Handles a 401's WWW-Authenticate for a request sent with `sent`; true when a retry may now succeed. */
  async answer(wwwAuthenticate: string | null, scope: string, sent: string | undefined): Promise<boolean> {
    const challenge = parseChallenge(wwwAuthenticate);
    if (challenge?.scheme === "basic") {
      const cred = await this.lookup();
      if (!cred || !("username" in cred)) return false;
      const header = basicHeader(cred);
      if (sent === header) return false; // these credentials were just refused
      this.basic = header;
      return true;
    }
    if (challenge?.scheme === "bearer" && challenge.params.realm) {
      this.bearerRealm = { realm: challenge.params.realm, ...(challenge.params.service && { service: challenge.params.service }) };
      const cached = this.tokens.get(scope);
      // Another request already got a fresh token for this scope meanwhile: use it.
      if (cached && cached.header !== sent && cached.expiresAt > Date.now()) return true;
      this.tokens.delete(scope);
      const header = await this.token(challenge.params, scope);
      return header !== sent;
    }
    return false;
  }

  private token(params: Record<string, string>, scope: string): Promise<string> {
    let p = this.pending.get(scope);
    if (!p) {
      p = this.fetchToken(params, scope)
        .then((t) => {
          this.tokens.set(scope, t);
          return t.header;
        })
        .finally(() => this.pending.delete(scope));
      this.pending.set(scope, p);
    }
    return p;
  }

  private lookup(): Promise<Credential | undefined> {
    this.credential ??= this.credentials ? this.credentials.get(this.host) : Promise.resolve(undefined);
    return this.credential;
  }

  private async fetchToken(params: Record<string, string>, scope: string): Promise<{ header: string; expiresAt: number }> {
    const scopes = new Set([...(params.scope ?? "").split(" "), ...scope.split(" ")].filter(Boolean));
    const url = new URL(params.realm);
    const form = new URLSearchParams();
    if (params.service) form.set("service", params.service);
    for (const s of scopes) form.append("scope", s);
    const cred = await this.lookup();
    let init: HttpInit;
    if (cred && "identityToken" in cred) {
      // Docker's identitytoken is an OAuth2 refresh token: exchange it with a POST.
      form.set("grant_type", "refresh_token");
      form.set("refresh_token", cred.identityToken);
      form.set("client_id", "slipway");
      init = { method: "POST", body: Buffer.from(form.toString()), headers: { "content-type": "application/x-www-form-urlencoded" } };
    } else {
      for (const [k, v] of form) url.searchParams.append(k, v);
      init = { method: "GET", headers: cred ? { authorization: basicHeader(cred) } : {} };
    }
    const res = await this.send(url.toString(), init);
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      const code = res.status === 401 || res.status === 403 ? "UNAUTHORIZED" : "TOKEN_ERROR";
      throw withRetryAfter(new RegistryError(`${this.host}: token request to ${url.origin}${url.pathname} failed: ${res.status} ${text.slice(0, 200)}`, res.status, code), res.headers.get("retry-after"));
    }
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`${this.host}: token response from ${url.origin} has no token`, res.status, "TOKEN_ERROR");
    // Spec default lifetime is 60 s; renew a little early so a request never carries a just-expired token.
    const lifetime = Math.max((body.expires_in ?? 60) - 10, 1) * 1000;
    return { header: `Bearer ${token}`, expiresAt: Date.now() + lifetime };
  }
}

