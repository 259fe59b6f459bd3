import { EngineError } from "../errors.ts";

/** One line of a Docker engine JSON progress stream (pull, push, load, import, build). */
export interface DockerStreamLine {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

function parseLine(line: string): DockerStreamLine {
  try {
    const parsed = JSON.parse(line) as unknown;
    if (parsed && typeof parsed === "object") return parsed as DockerStreamLine;
  } catch {
    // Not JSON: keep it as plain output rather than losing it.
  }
  return { stream: line };
}

function failure(line: DockerStreamLine): EngineError | undefined {
  if (!line.errorDetail && !line.error) return undefined;
  const message = line.errorDetail?.message ?? line.error ?? "unknown engine error";
  return new EngineError(message, line.errorDetail?.code);
}

/**
 * Reads every line of a Docker JSON progress stream, lines split across chunks
 * (and UTF-8 characters split across chunks) included. Throws an EngineError with
 * Docker's message on the first `errorDetail`/`error` line; a stream that breaks
 * becomes an EngineError too. Returns all parsed lines otherwise.
 */
export async function readDockerStream(
  stream: AsyncIterable<Uint8Array | string>,
  onProgress?: (line: DockerStreamLine) => void,
): Promise<DockerStreamLine[]> {
  const decoder = new TextDecoder();
  const lines: DockerStreamLine[] = [];
  let pending = "";
  const take = (text: string) => {
    const trimmed = text.trim();
    if (!trimmed) return;
    const line = parseLine(trimmed);
    const err = failure(line);
    if (err) throw err;
    lines.push(line);
    onProgress?.(line);
  };
  try {
    for await (const chunk of stream) {
      pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const part of parts) take(part);
    }
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError(`engine stream broke: ${(err as Error).message}`, undefined, { cause: err });
  }
  take(pending + decoder.decode());
  return lines;
}
