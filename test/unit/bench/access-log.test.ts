import { describe, expect, test } from "vitest";
import { blobDownloads, completedUploads, parseAccessLog } from "../../../bench/lib/access-log.ts";

const D1 = `sha256:${"a".repeat(64)}`;
const D2 = `sha256:${"b".repeat(64)}`;
const line = (req: string, status: number, bytes: number | "-") =>
  `127.0.0.1 - - [27/Nov/2026:03:00:00 +0000] "${req} HTTP/1.1" ${status} ${bytes} "" "docker/20.10.24"`;

const LOG = [
  `{"level":"info","msg":"response completed","http.request.method":"GET"}`,
  line(`GET /v2/r1-docker/blobs/${D1}`, 200, 104857600),
  line(`HEAD /v2/r1-docker/blobs/${D2}`, 200, 0),
  line(`GET /v2/r1-docker/blobs/${D2}`, 307, 0),
  line(`GET /v2/r1-docker/manifests/main`, 200, 1570),
  line(`POST /v2/r1-docker/blobs/uploads/`, 202, 0),
  line(`PATCH /v2/r1-docker/blobs/uploads/0f1e-uuid`, 202, 0),
  line(`PUT /v2/r1-docker/blobs/uploads/0f1e-uuid?_state=xyz&digest=${encodeURIComponent(D2)}`, 201, 0),
  line(`POST /v2/nested/repo/blobs/uploads/?mount=${D1}&from=bench%2Fbase`, 201, 0),
  line(`POST /v2/nested/repo/blobs/uploads/?digest=${D1}`, 201, 0),
  line(`PUT /v2/r1-docker/blobs/uploads/dead-uuid?digest=${D1}`, 400, 131),
  line(`GET /v2/`, 200, "-"),
].join("\n");

describe("registry access log", () => {
  test("parses request lines and skips the registry's own JSON log", () => {
    const entries = parseAccessLog(LOG);
    expect(entries).toHaveLength(11);
    expect(entries[0]).toEqual({ method: "GET", path: `/v2/r1-docker/blobs/${D1}`, query: "", status: 200, bytes: 104857600 });
    expect(entries.at(-1)?.bytes).toBe(0);
  });

  test("counts only blob GETs that returned content", () => {
    expect(blobDownloads(parseAccessLog(LOG))).toEqual([{ repo: "r1-docker", digest: D1, bytes: 104857600 }]);
  });

  test("counts completed uploads (closing PUT or monolithic POST), not mounts or failed PUTs", () => {
    expect(completedUploads(parseAccessLog(LOG))).toEqual([
      { repo: "r1-docker", digest: D2 },
      { repo: "nested/repo", digest: D1 },
    ]);
  });
});
