/**
 * The S3 bucket behind ECR's layer downloads: ECR answers a blob GET with a 307 to a
 * pre-signed URL on another host (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetDownloadUrlForLayer.html).
 * As S3 does, a request that carries an Authorization header besides the URL's
 * signature is refused (400 InvalidArgument, "Only one auth mechanism allowed"), and a
 * URL whose signature does not match is refused (403 SignatureDoesNotMatch): a client
 * that forwards the registry token across the redirect fails here as on AWS.
 */
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";

export interface LayerBucket {
  /** A pre-signed URL for a blob path of the upstream registry. */
  sign(upstreamPath: string): string;
  stop(): Promise<void>;
}

function s3Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

export async function startLayerBucket(upstream: string): Promise<LayerBucket> {
  const key = randomBytes(16);
  const signature = (path: string) => createHmac("sha256", key).update(path).digest("hex");
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://bucket");
    const path = url.searchParams.get("object") ?? "";
    if (req.headers.authorization) {
      res.writeHead(400, { "content-type": "application/xml" }).end(s3Error("InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"));
      return;
    }
    if (url.searchParams.get("X-Amz-Signature") !== signature(path) || req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(403, { "content-type": "application/xml" }).end(s3Error("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."));
      return;
    }
    fetch(`${upstream}${path}`, { method: req.method }).then(async (up) => {
      const headers: Record<string, string> = { "content-type": "application/octet-stream" };
      const length = up.headers.get("content-length");
      if (length) headers["content-length"] = length;
      res.writeHead(up.ok ? 200 : 404, headers);
      if (req.method === "HEAD" || !up.body) return void res.end();
      Readable.fromWeb(up.body as import("node:stream/web").ReadableStream<Uint8Array>).pipe(res);
    }, () => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    sign: (path) => `${origin}/prod-region-starport-layer-bucket/layer?object=${encodeURIComponent(path)}&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${signature(path)}`,
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
