import type { WebhookEnv } from "../../src/functions-config/ports.ts";
import { silent, type HttpFunction } from "../runtime/types.ts";
import { readLimited, tokenMatches } from "./token.ts";

export type { WebhookEnv };

const json = (status: number, body: Record<string, unknown>) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;

/**
 * GitLab Job Hook receiver. It only authenticates, parses and queues: everything slow
 * happens in the launcher, because GitLab gives up after 10 s and disables hooks that
 * keep failing. Accepted and ignored events are both 2xx for the same reason.
 */
async function handle(req: Request, env: WebhookEnv): Promise<Response> {
  const log = env.log ?? silent;
  if (req.method !== "POST") return json(405, { error: "method not allowed" });
  if (!(await tokenMatches(req.headers.get("x-gitlab-token"), env.webhookSecret))) return json(401, { error: "bad or missing X-Gitlab-Token" });
  const text = await readLimited(req, env.maxBodyBytes ?? 1 << 20);
  if (text === undefined) return json(413, { error: "body too large" });
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    return json(400, { error: "body is not JSON" });
  }
  if (!isObject(event)) return json(400, { error: "body is not a JSON object" });
  if (event.object_kind !== "build" || event.build_status !== "pending") return json(200, { ignored: true });
  const { build_id: jobId, project_id: projectId } = event;
  if (!isId(jobId) || !isId(projectId)) return json(400, { error: "job event without build_id/project_id" });
  let claimed = false;
  try {
    claimed = await env.dedupe.claim(String(jobId));
    if (!claimed) return json(200, { queued: false, duplicate: true, jobId });
    await env.queue.send({ jobId, projectId });
  } catch (err) {
    // Unclaim, so GitLab's retry of this delivery can queue it.
    if (claimed) await env.dedupe.release(String(jobId)).catch(() => undefined);
    log("webhook.queue-failed", { jobId, error: err instanceof Error ? err.message : String(err) });
    return json(503, { error: "queue unavailable" });
  }
  log("webhook.queued", { jobId, projectId });
  return json(202, { queued: true, jobId });
}

const webhook: HttpFunction<WebhookEnv> = {
  async fetch(req, env) {
    try {
      return await handle(req, env);
    } catch (err) {
      // A body stream that breaks mid-read is the client's fault, not ours.
      (env.log ?? silent)("webhook.bad-request", { error: err instanceof Error ? err.message : String(err) });
      return json(400, { error: "unreadable request" });
    }
  },
};
export default webhook;
