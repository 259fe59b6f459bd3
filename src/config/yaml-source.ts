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

/** Deeper than this, a config is not a config: refused before anything walks it recursively. */
export const MAX_NESTING = 100;

export function parseYamlDocs(text: string, file: string): SourceDoc[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: true });
  const all = Array.isArray(docs) ? docs : [docs];
  const pos = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  // Every syntax error of every document, in one pass.
  const syntax = all.flatMap((doc) =>
    doc.errors.map((err) => {
      const at = pos(err.pos[0]);
      // The parser recurses per nesting level and reports running out of stack as this code.
      const detail = err.code === "RESOURCE_EXHAUSTION" ? tooDeep() : `YAML syntax error: ${firstLine(err.message)}`;
      return new ConfigError(file, at.line, at.column, undefined, detail);
    }),
  );
  if (syntax.length > 0) throw ConfigError.all(syntax);
  const out: SourceDoc[] = [];
  for (const doc of all) {
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    const contents = doc.contents as Node;
    const deep = nodeDeeperThan(contents, MAX_NESTING);
    if (deep) {
      const at = pos(deep.range?.[0] ?? 0);
      throw new ConfigError(file, at.line, at.column, undefined, tooDeep());
    }
    keepNumberSpelling(doc);
    out.push({
      value: plainValue(doc, file, pos(contents.range?.[0] ?? 0)),
      start: pos(contents.range?.[0] ?? 0),
      locate: (path, key) => pos(findOffset(doc, contents, path, key ?? false)),
    });
  }
  return out;
}

function tooDeep(): string {
  return `the YAML nests collections more than ${MAX_NESTING} levels deep; a config needs only a few`;
}

/** The first node below `limit` levels of collections, found without recursion (so any depth is safe). */
function nodeDeeperThan(root: Node, limit: number): Node | undefined {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth >= limit) return node as Node;
    for (const item of node.items as unknown[]) {
      if (isMap(node)) {
        const pair = item as { key: unknown; value: unknown };
        stack.push([pair.key, depth + 1], [pair.value, depth + 1]);
      } else {
        stack.push([item, depth + 1]);
      }
    }
  }
  return undefined;
}

/**
 * Characters YAML does not allow in a stream (C0 controls but tab, LF and CR; DEL; C1
 * controls but NEL), located. werf (Go yaml) refuses them too: a NUL or a stray control
 * byte in a command is a mistake to show, not something to run.
 */
export function controlCharacterProblems(text: string, file: string): ConfigError[] {
  const problems: ConfigError[] = [];
  const pattern = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\x80-\x84\x86-\x9F]/g;
  for (const match of text.matchAll(pattern)) {
    if (problems.length === 20) break; // enough to see the pattern; a binary file would give millions
    const before = text.slice(0, match.index);
    const line = before.split("\n").length;
    const column = match.index - before.lastIndexOf("\n");
    problems.push(new ConfigError(file, line, column, undefined, `control character ${codePoint(match[0])} is not allowed in a config file`));
  }
  return problems;
}

export function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * The config file's bytes as text. Invalid UTF-8 is a config error at its line and
 * column: decoding it leniently would silently replace bytes of a command with U+FFFD.
 */
export function decodeConfigText(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const before = new TextDecoder().decode(bytes.subarray(0, offset));
    const line = before.split("\n").length;
    const column = [...before.slice(before.lastIndexOf("\n") + 1)].length + 1;
    const byte = bytes[offset].toString(16).toUpperCase().padStart(2, "0");
    throw new ConfigError(file, line, column, undefined, `invalid UTF-8 (byte 0x${byte}): a config file must be UTF-8 text`);
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const fatal = new TextDecoder("utf-8", { fatal: true });
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len === 0 || i + len > bytes.length) return i;
    try {
      fatal.decode(bytes.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return bytes.length;
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
