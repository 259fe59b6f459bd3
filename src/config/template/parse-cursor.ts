/**
 * The parser's view of the lexer's item queue: a cursor with Go's next/peek/backup,
 * plus the parse state the pipeline and control parsers share (declared variables,
 * range nesting). Every error is a ConfigError at the item's line and column.
 */
import type { ConfigError } from "../../errors.ts";
import type { Item, ItemType } from "./lexer.ts";
import { errorAt, type Source } from "./source.ts";

export class Cursor {
  i = 0;
  /** Variables in scope, innermost last; `$` is always there. */
  vars: string[] = ["$"];
  rangeDepth = 0;

  constructor(readonly source: Source, readonly items: Item[], readonly hasFunc: (n: string) => boolean) {}

  fail(pos: number, detail: string): ConfigError {
    return errorAt(this.source, pos, detail);
  }

  next(): Item {
    const item = this.items[this.i] ?? this.items[this.items.length - 1];
    if (item.type === "error") throw this.fail(item.pos, item.val);
    this.i = Math.min(this.i + 1, this.items.length);
    return item;
  }

  backup(n = 1): void {
    this.i -= n;
  }

  peek(): Item {
    const item = this.next();
    this.backup();
    return item;
  }

  nextNonSpace(): Item {
    let item = this.next();
    while (item.type === "space") item = this.next();
    return item;
  }

  peekNonSpace(): Item {
    const item = this.nextNonSpace();
    this.backup();
    return item;
  }

  expect(type: ItemType, context: string): Item {
    const item = this.nextNonSpace();
    if (item.type !== type) throw this.unexpected(item, context);
    return item;
  }

  unexpected(item: Item, context: string): ConfigError {
    if (item.type === "eof") return this.fail(item.pos, `unexpected EOF in ${context}`);
    return this.fail(item.pos, `unexpected ${describe(item)} in ${context}`);
  }
}

export function describe(item: Item): string {
  if (item.type === "rightDelim") return "}}";
  if (item.type === "keyword") return `<${item.val}>`;
  return `${item.type} ${JSON.stringify(item.val)}`;
}
