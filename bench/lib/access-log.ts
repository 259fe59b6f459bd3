/** One request of the distribution registry's access log (combined log format). */
export interface AccessEntry {
  method: string;
  path: string;
  query: string;
  status: number;
  /** Response body bytes. */
  bytes: number;
}

const LINE = /"(GET|HEAD|PUT|POST|PATCH|DELETE) ([^ ?"]+)(\?[^ "]*)? HTTP\/[\d.]+" (\d{3}) (\d+|-)/;

/** Parses the log text; lines that are not access lines (the app's JSON log) are skipped. */
export function parseAccessLog(text: string): AccessEntry[] {
  return text.split("\n").flatMap((line) => {
    const m = LINE.exec(line);
    if (!m) return [];
    return [{ method: m[1], path: m[2], query: m[3] ?? "", status: Number(m[4]), bytes: m[5] === "-" ? 0 : Number(m[5]) }];
  });
}

const BLOB = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/;
const UPLOAD = /^\/v2\/(.+)\/blobs\/uploads\//;

/** Blob downloads that returned content: repository, digest and bytes sent. */
export function blobDownloads(entries: AccessEntry[]): { repo: string; digest: string; bytes: number }[] {
  return entries.flatMap((e) => {
    const m = e.method === "GET" && e.status === 200 ? BLOB.exec(e.path) : null;
    return m ? [{ repo: m[1], digest: m[2], bytes: e.bytes }] : [];
  });
}

/**
 * Blobs whose upload completed: the closing PUT of an upload session (`?digest=`),
 * or a monolithic POST with `?digest=`. Cross-repository mounts (POST `?mount=`)
 * move no bytes and are not uploads. The log shows response sizes only, so the
 * caller sizes each blob from the registry; every tool is counted the same way.
 */
export function completedUploads(entries: AccessEntry[]): { repo: string; digest: string }[] {
  return entries.flatMap((e) => {
    const m = UPLOAD.exec(e.path);
    const closing = (e.method === "PUT" || e.method === "POST") && e.status === 201;
    const digest = /[?&]digest=([^&]+)/.exec(e.query)?.[1];
    return m && closing && digest ? [{ repo: m[1], digest: decodeURIComponent(digest) }] : [];
  });
}
