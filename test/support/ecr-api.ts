/**
 * The ECR JSON API subset slipway calls, served as AWS serves it (awsJson1_1: POST /,
 * `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Operation>`), so the real
 * @aws-sdk/client-ecr reaches it through its `endpoint` setting. Callers are known by the
 * access key id of their SigV4 Authorization header. Errors: HTTP 400, `__type` = the
 * exception name (what the SDK turns into the error's `name`).
 * Shapes and limits from the API reference:
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html (imageIds: 1-100)
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchDeleteImage.html (imageIds: 1-100)
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html (imageIds: 1-100, maxResults: 1-1000)
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositories.html (repositoryNames: 1-100, maxResults: 1-1000)
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/CommonErrors.html
 * Listing every repository (DescribeRepositories without names) is authorized on
 * `repository/*`, as IAM sees a call that names no repository.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { imageOps, limit, maxResults, repoFor, seconds, type Api, type Json, type Op } from "./ecr-api-images.ts";
import { EcrFault, type EcrPrincipal, type EcrRepository } from "./ecr-model.ts";

export type { Api } from "./ecr-api-images.ts";

const TARGET = "AmazonEC2ContainerRegistry_V20150921.";

function describeRepository(api: Api, r: EcrRepository): Json {
  const { account } = api.model.opts;
  return { repositoryArn: api.model.arn(r.name), registryId: account, repositoryName: r.name, repositoryUri: `${api.registryHost()}/${r.name}`, createdAt: seconds(r.createdAt), imageTagMutability: r.immutable ? "IMMUTABLE" : "MUTABLE" };
}

const ops: Record<string, Op> = {
  ...imageOps,

  async GetAuthorizationToken(api, p) {
    api.model.authorize(p, "ecr:GetAuthorizationToken", "*");
    const { password, expiresAt } = api.model.issueToken(p);
    return { authorizationData: [{ authorizationToken: Buffer.from(`AWS:${password}`).toString("base64"), expiresAt: seconds(expiresAt), proxyEndpoint: `http://${api.registryHost()}` }] };
  },

  async DescribeRepositories(api, p, body) {
    const n = maxResults(body);
    const names: string[] | undefined = body.repositoryNames;
    limit("repositoryNames", names, 100);
    if (names) {
      const repos = names.map((name) => repoFor(api, p, { repositoryName: name }, "ecr:DescribeRepositories"));
      return { repositories: repos.map((r) => describeRepository(api, r)) };
    }
    api.model.authorize(p, "ecr:DescribeRepositories", api.model.arn("*"));
    const all = [...api.model.repositories.values()].sort((a, b) => a.name.localeCompare(b.name));
    const start = Number(body.nextToken ?? 0);
    return { repositories: all.slice(start, start + n).map((r) => describeRepository(api, r)), ...(start + n < all.length && { nextToken: String(start + n) }) };
  },

  async CreateRepository(api, p, body) {
    api.model.authorize(p, "ecr:CreateRepository", api.model.arn(body.repositoryName));
    if (api.model.repositories.has(body.repositoryName)) throw new EcrFault(400, "RepositoryAlreadyExistsException", `The repository with name '${body.repositoryName}' already exists in the registry with id '${api.model.opts.account}'`);
    return { repository: describeRepository(api, api.model.create(body.repositoryName, body.imageTagMutability === "IMMUTABLE")) };
  },
};

function principalOf(api: Api, authorization: string | undefined): EcrPrincipal {
  const key = /Credential=([^/]+)\//.exec(authorization ?? "")?.[1];
  const p = key ? api.model.opts.principals[key] : undefined;
  if (!p) throw new EcrFault(400, "UnrecognizedClientException", "The security token included in the request is invalid.");
  return p;
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Json) : {};
}

export async function handleApi(api: Api, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = String(req.headers["x-amz-target"] ?? "");
  const reply = (status: number, body: Json, type?: string) => {
    res.writeHead(status, { "content-type": "application/x-amz-json-1.1", ...(type && { "x-amzn-errortype": type }) }).end(JSON.stringify(body));
  };
  try {
    const op = target.startsWith(TARGET) ? ops[target.slice(TARGET.length)] : undefined;
    if (!op) throw new EcrFault(400, "UnknownOperationException", `unknown operation ${target}`);
    const body = await readJson(req);
    reply(200, await op(api, principalOf(api, req.headers.authorization), body));
  } catch (err) {
    if (!(err instanceof EcrFault)) throw err;
    reply(400, { __type: err.code, message: err.message }, err.code);
  }
}
