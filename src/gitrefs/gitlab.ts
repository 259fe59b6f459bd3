import { SlipwayError } from "../errors.ts";
import type { GitRef, GitRefSource } from "./types.ts";

export interface GitLabRefsOptions {
  /** CI_API_V4_URL, e.g. https://gitlab.example.com/api/v4 */
  apiUrl: string;
  /** CI_PROJECT_ID (or the URL-encoded path). */
  projectId: string;
  /** A token that can read the repository. */
  token: string;
  /** "private" sends PRIVATE-TOKEN (personal/project access tokens); "job" sends JOB-TOKEN (CI_JOB_TOKEN). */
  tokenKind?: "private" | "job";
  fetch?: typeof fetch;
  timeoutMs?: number;
}

interface RefJson {
  name: string;
  commit?: { id?: string; committed_date?: string } | null;
}

/**
 * Branches and tags from the GitLab REST API (GET /projects/:id/repository/branches
 * and /tags), following the X-Next-Page header. Any failure throws: a partial list
 * would make living branches look deleted.
 */
export function gitLabRefs(opts: GitLabRefsOptions): GitRefSource {
  const doFetch = opts.fetch ?? fetch;
  const base = `${opts.apiUrl.replace(/\/+$/, "")}/projects/${encodeURIComponent(opts.projectId)}/repository`;
  const headers = { accept: "application/json", [opts.tokenKind === "job" ? "JOB-TOKEN" : "PRIVATE-TOKEN"]: opts.token };

  async function all(kind: "branches" | "tags"): Promise<RefJson[]> {
    const out: RefJson[] = [];
    for (let page: string | null = "1"; page; ) {
      const url: string = `${base}/${kind}?per_page=100&page=${page}`;
      const res: Response = await doFetch(url, { headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) }).catch((err: unknown) => {
        throw new SlipwayError(`GitLab GET ${kind}: ${(err as Error).message}`, { cause: err });
      });
      if (!res.ok) throw new SlipwayError(`GitLab GET ${url}: HTTP ${res.status}`);
      const body = (await res.json()) as unknown;
      if (!Array.isArray(body)) throw new SlipwayError(`GitLab GET ${url}: expected a list`);
      out.push(...(body as RefJson[]));
      page = res.headers.get("x-next-page") || null;
    }
    return out;
  }

  const toRef = (kind: GitRef["kind"]) => (j: RefJson): GitRef => {
    const time = j.commit?.committed_date ? new Date(j.commit.committed_date) : undefined;
    return { kind, name: j.name, commit: j.commit?.id ?? "", ...(time && !Number.isNaN(time.getTime()) && { time }) };
  };

  return {
    description: `GitLab project ${opts.projectId}`,
    async list() {
      const [branches, tags] = await Promise.all([all("branches"), all("tags")]);
      return [...branches.map(toRef("branch")), ...tags.map(toRef("tag"))];
    },
  };
}
