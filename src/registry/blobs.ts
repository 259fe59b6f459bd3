import { createHash } from "node:crypto";
import { Readable, Transform } from "node:stream";
import { RegistryError } from "../errors.ts";
import { verifyDigest } from "./digest.ts";
import { errorFrom, pullScope, pushScope, readBody, type HttpResponse, type RegistryHttp } from "./http.ts";
import { NETWORK_ERROR } from "./retry.ts";
import { countBlobBytes } from "./tally.ts";
import type { TransferStats } from "./types.ts";

/** Blob operations, one attempt each; OciRegistry wraps them in the retry policy. */
export class BlobClient {
  constructor(private readonly http: RegistryHttp, private readonly stats: TransferStats) {}

  async has(repo: string, digest: string): Promise<boolean> {
    const res = await this.http.send({ method: "HEAD", url: `/v2/${repo}/blobs/${digest}`, scope: pullScope(repo) });
    if (res.status === 404) return false;
    if (!res.ok) throw await errorFrom(res, `HEAD blob ${repo}@${digest}`);
    return true;
  }

  private async open(repo: string, digest: string): Promise<HttpResponse> {
    const res = await this.http.send({ method: "GET", url: `/v2/${repo}/blobs/${digest}`, scope: pullScope(repo) });
    if (!res.ok) throw await errorFrom(res, `GET blob ${repo}@${digest}`);
    return res;
  }

  async get(repo: string, digest: string): Promise<Uint8Array> {
    const res = await this.open(repo, digest);
    const body = await readBody(res, `GET blob ${repo}@${digest}`);
    countBlobBytes(this.stats, "pulled", body.byteLength);
    verifyDigest(body, digest, `blob ${repo}@${digest}`);
    return body;
  }

  /**
   * The blob as a Node stream (see HttpResponse.nodeBody): counts bytes as they arrive and
   * fails the stream at its end if the digest does not match.
   */
  async readable(repo: string, digest: string): Promise<Readable> {
    const res = await this.open(repo, digest);
    const body = res.nodeBody();
    if (!body) throw new RegistryError(`GET blob ${repo}@${digest}: empty response`, res.status, "BLOB_UNKNOWN");
    const hash = createHash("sha256");
    const stats = this.stats;
    const checked = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        countBlobBytes(stats, "pulled", chunk.byteLength);
        done(null, chunk);
      },
      flush(done) {
        const actual = `sha256:${hash.digest("hex")}`;
        done(actual === digest ? null : new RegistryError(`blob ${repo}@${digest}: digest mismatch, got ${actual}`, undefined, "DIGEST_INVALID"));
      },
    });
    body.on("error", (err) => checked.destroy(new RegistryError(`GET blob ${repo}@${digest}: reading body: ${err.message}`, undefined, NETWORK_ERROR, { cause: err })));
    // A reader that stops early lets go of the connection too.
    checked.on("close", () => body.readableEnded || body.destroy());
    return body.pipe(checked);
  }

  /** As `readable`, as a web stream: the same byte counts and digest check. */
  async stream(repo: string, digest: string): Promise<ReadableStream<Uint8Array>> {
    return Readable.toWeb(await this.readable(repo, digest)) as unknown as ReadableStream<Uint8Array>;
  }

  /**
   * HEAD (present: nothing to send), then a cross-repo mount when `mountFrom` is given
   * (201: mounted; 202: the registry opened an upload instead, use it), else POST an
   * upload, then one monolithic PUT ?digest=. Bytes in hand (no mount) send the HEAD and
   * the POST together (a blob made here is new nearly always: one round trip saved), and
   * the upload is cancelled when the HEAD finds the blob. A lazy source is only called
   * when the bytes must be sent.
   */
  async push(repo: string, digest: string, bytes: Uint8Array | (() => Promise<Uint8Array>), mountFrom?: string, unseen = false): Promise<{ uploaded: boolean }> {
    const source = bytes instanceof Uint8Array ? () => Promise.resolve(bytes) : bytes;
    const what = `push blob ${repo}@${digest}`;
    const mount = mountFrom && mountFrom !== repo;
    const query = mount ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}` : "";
    const scope = mount ? `${pushScope(repo)} ${pullScope(mountFrom)}` : pushScope(repo);
    let data: Uint8Array | undefined;
    let started: HttpResponse;
    if (mount || !(bytes instanceof Uint8Array)) {
      // A lazy source (a blob of another repository) is fetched only once the registry lacks it.
      if (await this.has(repo, digest)) return { uploaded: false };
      // Without a mount the bytes are needed anyway: got before an upload session is opened.
      if (!mount) data = await source();
      started = await this.http.send({ method: "POST", url: `/v2/${repo}/blobs/uploads/${query}`, scope, headers: { "content-length": "0" } });
    } else if (unseen) {
      // Just made for a new manifest: uploaded without a lookup (see Registry.pushBlob).
      data = bytes;
      started = await this.http.send({ method: "POST", url: `/v2/${repo}/blobs/uploads/`, scope, headers: { "content-length": "0" } });
    } else {
      data = bytes;
      const opening = this.http.send({ method: "POST", url: `/v2/${repo}/blobs/uploads/`, scope, headers: { "content-length": "0" } });
      const [present, opened] = await Promise.allSettled([this.has(repo, digest), opening]);
      // The blob is there, or the lookup failed: the upload just opened is not used. Its
      // cancel is not waited for (nothing depends on it, and it never throws).
      if (present.status === "rejected" || present.value) {
        if (opened.status === "fulfilled") void this.#cancel(opened.value, repo);
        if (present.status === "rejected") throw present.reason;
        return { uploaded: false };
      }
      if (opened.status === "rejected") throw opened.reason;
      started = opened.value;
    }
    if (mount && started.status === 201) {
      await started.body?.cancel();
      return { uploaded: false };
    }
    if (started.status !== 202) throw await errorFrom(started, what);
    await started.body?.cancel();
    const location = this.#location(started, what);
    data ??= await source();
    verifyDigest(data, digest, `blob to push to ${repo}`);
    const url = new URL(location);
    url.searchParams.set("digest", digest);
    const headers = { "content-type": "application/octet-stream", "content-length": String(data.byteLength) };
    const res = await this.http.send({ method: "PUT", url: url.toString(), scope: pushScope(repo), headers, body: data });
    // The registry received the body once it answers, whatever the status: count it as moved.
    countBlobBytes(this.stats, "pushed", data.byteLength);
    if (res.status !== 201) throw await errorFrom(res, what);
    await res.body?.cancel();
    return { uploaded: true };
  }

  /** Ends an upload session opened for a blob the registry turned out to have (best effort: an unused one expires). */
  async #cancel(opened: HttpResponse, repo: string): Promise<void> {
    try {
      await opened.body?.cancel();
      if (opened.status !== 202) return;
      const location = this.#location(opened, "cancel upload");
      const res = await this.http.send({ method: "DELETE", url: location, scope: pushScope(repo) });
      await res.body?.cancel();
    } catch {
      // Not every registry cancels uploads (the spec makes it optional); the session expires.
    }
  }

  /**
   * A streamed upload, as `docker push` makes one: POST an upload, one PATCH whose body
   * is the chunks as they come (no length known), then PUT ?digest= with the digest
   * computed on the way (or answered by `claimed`, once the chunks have ended: the caller
   * hashed them already). Bytes count as pushed when sent.
   */
  async pushStream(repo: string, chunks: AsyncIterable<Uint8Array>, claimed?: () => string): Promise<{ digest: string; size: number }> {
    const what = `streamed push of a blob to ${repo}`;
    const scope = pushScope(repo);
    const started = await this.http.send({ method: "POST", url: `/v2/${repo}/blobs/uploads/`, scope, headers: { "content-length": "0" } });
    if (started.status !== 202) throw await errorFrom(started, what);
    await started.body?.cancel();
    const hash = claimed ? undefined : createHash("sha256");
    let size = 0;
    const stats = this.stats;
    const iterator = chunks[Symbol.asyncIterator]();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) return controller.close();
        hash?.update(next.value);
        size += next.value.byteLength;
        countBlobBytes(stats, "pushed", next.value.byteLength);
        controller.enqueue(next.value);
      },
      async cancel() {
        await iterator.return?.();
      },
    });
    const patched = await this.http.send({ method: "PATCH", url: this.#location(started, what), scope, headers: { "content-type": "application/octet-stream" }, stream });
    if (patched.status !== 202) throw await errorFrom(patched, what);
    await patched.body?.cancel();
    const digest = hash ? `sha256:${hash.digest("hex")}` : claimed!();
    const url = new URL(this.#location(patched, what));
    url.searchParams.set("digest", digest);
    const closed = await this.http.send({ method: "PUT", url: url.toString(), scope, headers: { "content-length": "0" } });
    if (closed.status !== 201) throw await errorFrom(closed, what);
    await closed.body?.cancel();
    return { digest, size };
  }

  #location(res: HttpResponse, what: string): string {
    const location = res.headers.get("location");
    if (!location) throw new RegistryError(`${what}: ${res.status} answered without a Location`, res.status, "BLOB_UPLOAD_INVALID");
    return new URL(location, this.http.baseUrl).toString();
  }
}
