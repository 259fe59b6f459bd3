import { readFile } from "node:fs/promises";

/** One line of the distribution registry's access log (combined log format). */
export interface AccessEntry {
  method: string;
  path: string;
  query: string;
  status: number;
  bytes: number;
}

const LINE = /"(GET|HEAD|PUT|POST|PATCH|DELETE) ([^ ?"]+)(\?[^ "]*)? HTTP\/[\d.]+" (\d{3}) (\d+)/;

/** Reads the access log; `from` is a mark taken earlier with `mark`, to see only what came after. */
export async function accessLog(logPath: string, from = 0): Promise<AccessEntry[]> {
  const lines = (await readFile(logPath, "utf8")).split("\n").slice(from);
  return lines.flatMap((l) => {
    const m = LINE.exec(l);
    return m ? [{ method: m[1], path: m[2], query: m[3] ?? "", status: Number(m[4]), bytes: Number(m[5]) }] : [];
  });
}

/** A mark: the number of log lines so far. */
export async function mark(logPath: string): Promise<number> {
  return (await readFile(logPath, "utf8")).split("\n").length - 1;
}

/** Blob downloads that returned content: digest and bytes sent. */
export function blobDownloads(entries: AccessEntry[]): { digest: string; bytes: number }[] {
  return entries
    .filter((e) => e.method === "GET" && e.status === 200 && /\/blobs\/sha256:/.test(e.path))
    .map((e) => ({ digest: e.path.slice(e.path.lastIndexOf("/") + 1), bytes: e.bytes }));
}

/** Digests of blobs whose upload completed (PUT .../blobs/uploads/...?digest=...). */
export function blobUploads(entries: AccessEntry[]): string[] {
  return entries
    .filter((e) => e.method === "PUT" && e.status === 201 && e.path.includes("/blobs/uploads/"))
    .map((e) => decodeURIComponent(/digest=([^&]+)/.exec(e.query)?.[1] ?? ""));
}
