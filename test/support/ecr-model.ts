/**
 * State and rules of the ECR stand-in, shared by its registry (OCI) front and its JSON API.
 * Blobs and manifests are stored by digest in a real CNCF registry; repositories, tags,
 * push times and settings live here, because ECR's tag semantics differ from distribution's:
 * tags are deleted one by one (an image goes with its last tag), may be immutable, and
 * repositories exist only once created.
 * References: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/Welcome.html,
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html
 */
import { randomBytes } from "node:crypto";
import { deniedMessage, evaluate, type IamPolicy } from "./ecr-iam.ts";

export interface EcrPrincipal {
  /** e.g. arn:aws:sts::123456789012:assumed-role/slipway-dev-node/i-0abc */
  arn: string;
  policy: IamPolicy;
}

export interface EcrImage {
  digest: string;
  mediaType: string;
  size: number;
  pushedAt: Date;
}

export interface EcrRepository {
  name: string;
  createdAt: Date;
  immutable: boolean;
  tags: Map<string, string>;
  images: Map<string, EcrImage>;
}

export interface CreationTemplate {
  /** Repositories `<prefix>/...` get this template. */
  prefix: string;
  appliedFor: Array<"CREATE_ON_PUSH" | "PULL_THROUGH_CACHE" | "REPLICATION">;
  immutable?: boolean;
}

export interface EcrStandInOptions {
  account: string;
  region: string;
  /** Access key id -> principal; the JSON API knows callers by their SigV4 access key. */
  principals: Record<string, EcrPrincipal>;
  /** Repositories that exist from the start (what `pulumi up` creates). */
  repositories: Array<string | { name: string; immutable?: boolean }>;
  templates?: CreationTemplate[];
  /** The BLOB_MOUNTING account setting. Default false, ECR's default. */
  blobMounting?: boolean;
  /** The expiresAt GetAuthorizationToken reports. Default 12 h, as ECR. */
  tokenLifetimeMs?: number;
}

/** An error in ECR's shape: `code` is the JSON API exception or the registry API error code. */
export class EcrFault extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Registry API codes for faults the JSON API names differently. */
export const REGISTRY_CODE: Record<string, string> = {
  AccessDeniedException: "DENIED",
  RepositoryNotFoundException: "NAME_UNKNOWN",
  ImageTagAlreadyExistsException: "TAG_INVALID",
};

export class EcrModel {
  readonly repositories = new Map<string, EcrRepository>();
  readonly tokens = new Map<string, { principal: EcrPrincipal; expiresAt: number; revoked: boolean }>();
  blobMounting: boolean;
  /** Every authorization decision, for tests: action, resource, allowed. */
  readonly decisions: Array<{ principal: string; action: string; resource: string; allowed: boolean }> = [];
  tokensIssued = 0;
  /**
   * Every stand-in keeps its repositories under its own namespace of the upstream registry,
   * so stand-ins sharing one registry never see each other's blobs (distribution links
   * blobs per repository, as ECR keeps layers per repository).
   */
  readonly ns = `ecr-${randomBytes(4).toString("hex")}`;

  /** The upstream path of a repository. */
  upstreamName(repository: string): string {
    return `${this.ns}/${repository}`;
  }

  constructor(readonly opts: EcrStandInOptions) {
    this.blobMounting = opts.blobMounting ?? false;
    for (const r of opts.repositories) {
      const spec = typeof r === "string" ? { name: r } : r;
      this.create(spec.name, spec.immutable ?? false);
    }
  }

  arn(repository: string): string {
    return `arn:aws:ecr:${this.opts.region}:${this.opts.account}:repository/${repository}`;
  }

  create(name: string, immutable: boolean): EcrRepository {
    const repo: EcrRepository = { name, createdAt: new Date(), immutable, tags: new Map(), images: new Map() };
    this.repositories.set(name, repo);
    return repo;
  }

  /** IAM decides; denial is ECR's AccessDeniedException (403 DENIED on the registry API). */
  authorize(principal: EcrPrincipal, action: string, resource: string): void {
    const decision = evaluate(principal.policy, action, resource);
    this.decisions.push({ principal: principal.arn, action, resource, allowed: decision === "allow" });
    if (decision !== "allow") throw new EcrFault(403, "AccessDeniedException", deniedMessage(principal.arn, action, resource, decision));
  }

  /**
   * The repository, or RepositoryNotFoundException. A push into a missing repository under
   * a CREATE_ON_PUSH template creates it, if the pusher may ecr:CreateRepository there
   * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html).
   */
  repository(principal: EcrPrincipal, name: string, push = false): EcrRepository {
    const found = this.repositories.get(name);
    if (found) return found;
    const template = push ? this.opts.templates?.find((t) => name.startsWith(`${t.prefix}/`) && t.appliedFor.includes("CREATE_ON_PUSH")) : undefined;
    if (template) {
      this.authorize(principal, "ecr:CreateRepository", this.arn(name));
      return this.create(name, template.immutable ?? false);
    }
    throw new EcrFault(404, "RepositoryNotFoundException", `The repository with name '${name}' does not exist in the registry with id '${this.opts.account}'`);
  }

  issueToken(principal: EcrPrincipal): { password: string; expiresAt: Date } {
    const password = randomBytes(24).toString("base64url");
    const expiresAt = Date.now() + (this.opts.tokenLifetimeMs ?? 12 * 3600_000);
    this.tokens.set(password, { principal, expiresAt, revoked: false });
    this.tokensIssued++;
    return { password, expiresAt: new Date(expiresAt) };
  }

  /** Every token issued so far stops working, as tokens past their 12 hours do. */
  expireTokens(): void {
    for (const t of this.tokens.values()) t.revoked = true;
  }

  /** The principal behind `Authorization: Basic AWS:<token>`; undefined when absent. */
  principalOfToken(authorization: string | undefined): EcrPrincipal | undefined {
    if (!authorization?.startsWith("Basic ")) return undefined;
    const decoded = Buffer.from(authorization.slice(6), "base64").toString("utf8");
    const [user, password] = [decoded.slice(0, decoded.indexOf(":")), decoded.slice(decoded.indexOf(":") + 1)];
    const token = this.tokens.get(password);
    if (user !== "AWS" || !token) throw new EcrFault(401, "UNAUTHORIZED", "Not Authorized");
    if (token.revoked || token.expiresAt <= Date.now()) throw new EcrFault(403, "DENIED", "Your authorization token has expired. Reauthenticate and try again.");
    return token.principal;
  }
}
