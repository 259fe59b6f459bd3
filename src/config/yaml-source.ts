/**
 * Multi-document YAML with positions kept: each document's plain value plus a way to
 * find the line and column of any path inside it, so validation errors can point at
 * the exact key or value the user wrote.
 */
import { Alias, type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, visit } from "yaml";
import { ConfigError } from "../errors.ts";

export type PathSegment = string | number;

export interface Position {
  line: number;
  column: number;
}

export interface SourceDoc {
  /** The document as plain data (aliases and `<<` merges resolved). */
  value: unknown;
  /** Where the document starts. */
  start: Position;
  /** Position of the value at `path` (or of its key, when `key` is true); nearest existing ancestor otherwise. */
  locate(path: readonly PathSegment[], key?: boolean): Position;
}

export function parseYamlDocs(text: string, file: string): SourceDoc[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: true });
  const all = Array.isArray(docs) ? docs : [docs];
  const pos = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const out: SourceDoc[] = [];
  for (const doc of all) {
    const err = doc.errors[0];
    if (err) {
      const at = pos(err.pos[0]);
      throw new ConfigError(file, at.line, at.column, undefined, `YAML syntax error: ${firstLine(err.message)}`);
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    keepNumberSpelling(doc);
    const contents = doc.contents as Node;
    out.push({
      value: plainValue(doc, file, pos(contents.range?.[0] ?? 0)),
      start: pos(contents.range?.[0] ?? 0),
      locate: (path, key) => pos(findOffset(doc, contents, path, key ?? false)),
    });
  }
  return out;
}

function plainValue(doc: Document, file: string, start: Position): unknown {
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    // Bad aliases and merges surface only here, without a position: point at the document.
    throw new ConfigError(file, start.line, start.column, undefined, `YAML error: ${(err as Error).message}`);
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}

/**
 * werf (Go, yaml.v2) reads a scalar into a string field as written: `fromCacheVersion: 1.10`
 * is "1.10", not 1.1. Keep the source spelling of numbers that would not round-trip.
 */
function keepNumberSpelling(doc: Document): void {
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "number" && node.source !== undefined && String(node.value) !== node.source) {
        node.value = node.source;
      }
    },
  });
}

function findOffset(doc: Document, root: Node, path: readonly PathSegment[], wantKey: boolean): number {
  let node: unknown = root;
  let offset = root.range?.[0] ?? 0;
  for (const [i, seg] of path.entries()) {
    if (isAlias(node)) node = (node as Alias).resolve(doc);
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return offset;
      const keyNode = pair.key as Node;
      if (last && wantKey) return keyNode.range?.[0] ?? offset;
      const valueNode = pair.value as Node | null;
      // A key with no value (`from:`) has no range of its own: point at the key.
      offset = valueNode?.range?.[0] ?? keyNode.range?.[0] ?? offset;
      if (valueNode && isScalar(valueNode) && valueNode.value === null) offset = keyNode.range?.[0] ?? offset;
      node = valueNode;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as Node | undefined;
      if (!item) return offset;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}
