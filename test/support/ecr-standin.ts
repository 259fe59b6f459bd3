/**
 * An ECR stand-in on a loopback port, in front of a CNCF registry the tests already start:
 * the registry API under /v2/ (ecr-registry.ts) and the JSON API at POST / (ecr-api.ts),
 * both deciding every call with the callers' IAM policies (ecr-iam.ts); layer downloads
 * are redirected to a pre-signed URL of a bucket on another port (ecr-layer-bucket.ts). The real
 * @aws-sdk/client-ecr reaches it with `AWS_ENDPOINT_URL_ECR`; slipway treats its host as an
 * ECR registry with `SLIPWAY_ECR_HOSTS=<host>=<account>/<region>`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { LocalRegistry } from "../../src/registry/server.ts";
import { handleApi } from "./ecr-api.ts";
import { EcrModel, type EcrStandInOptions } from "./ecr-model.ts";
import { startLayerBucket } from "./ecr-layer-bucket.ts";
import { handleRegistry } from "./ecr-registry.ts";
import { testRegistry } from "./services.ts";

export interface EcrStandIn extends AsyncDisposable {
  /** 127.0.0.1:port: the registry host (REPO is `<host>/<repository>`). */
  readonly host: string;
  /** http://127.0.0.1:port: the JSON API endpoint. */
  readonly endpoint: string;
  readonly model: EcrModel;
  /** Environment for a slipway process acting as `accessKeyId`. */
  env(accessKeyId: string): Record<string, string>;
  stop(): Promise<void>;
}

export async function startEcrStandIn(opts: EcrStandInOptions, upstream?: LocalRegistry): Promise<EcrStandIn> {
  const registry = upstream ?? (await testRegistry());
  const model = new EcrModel(opts);
  let host = "";
  const origin = () => `http://${host}`;
  const up = `http://${registry.host}`;
  const bucket = await startLayerBucket(up);
  const server = createServer((req, res) => {
    const done = (req.url ?? "").startsWith("/v2")
      ? handleRegistry({ model, upstream: up, origin, layerUrl: bucket.sign }, req, res)
      : handleApi({ model, upstream: up, registryHost: () => host }, req, res);
    done.catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNKNOWN", message: String(err) }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await bucket.stop();
    if (!upstream) await registry.stop();
  };
  return {
    host,
    endpoint: origin(),
    model,
    env: (accessKeyId) => ({
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: "stand-in-secret",
      AWS_REGION: opts.region,
      AWS_ENDPOINT_URL_ECR: origin(),
      SLIPWAY_ECR_HOSTS: `${host}=${opts.account}/${opts.region}`,
    }),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
