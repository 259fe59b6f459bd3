/**
 * Docker's word processing for the instructions that expand variables (ADD, COPY,
 * ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR, ARG): quotes are
 * removed, the escape character escapes, and `$VAR`, `${VAR}`, `${VAR:-word}`,
 * `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`, `${VAR:?msg}` are replaced, as
 * moby/buildkit's shell lexer does. An unset variable expands to "".
 */

/** Looks a variable up; undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

export class ExpandError extends Error {}

class Lexer {
  pos = 0;
  constructor(readonly text: string, readonly lookup: Lookup, readonly escape: string, readonly rawQuotes = false) {}

  peek(): string {
    return this.text[this.pos] ?? "";
  }

  /** Reads words; with `split` false the whole text is one word (whitespace kept). */
  words(split: boolean): string[] {
    const out: string[] = [];
    let word = "";
    let inWord = false;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos];
      if (split && /\s/.test(ch)) {
        this.pos++;
        if (inWord) out.push(word);
        word = "";
        inWord = false;
        continue;
      }
      inWord = true;
      if (ch === "'" && !this.rawQuotes) word += this.single();
      else if (ch === '"' && !this.rawQuotes) word += this.double();
      else if (ch === "$") word += this.variable();
      else if (ch === this.escape) {
        this.pos++;
        if (this.pos < this.text.length) word += this.text[this.pos++];
      } else {
        word += ch;
        this.pos++;
      }
    }
    if (inWord) out.push(word);
    return out;
  }

  single(): string {
    const end = this.text.indexOf("'", this.pos + 1);
    if (end < 0) throw new ExpandError("unexpected end of statement while looking for matching single-quote");
    const value = this.text.slice(this.pos + 1, end);
    this.pos = end + 1;
    return value;
  }

  double(): string {
    this.pos++;
    let out = "";
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos];
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === "$") out += this.variable();
      else if (ch === this.escape && ['"', "$", this.escape].includes(this.text[this.pos + 1] ?? "")) {
        out += this.text[this.pos + 1];
        this.pos += 2;
      } else {
        out += ch;
        this.pos++;
      }
    }
    throw new ExpandError("unexpected end of statement while looking for matching double-quote");
  }

  variable(): string {
    this.pos++;
    if (this.peek() === "{") return this.braced();
    const name = /^[A-Za-z0-9_]+/.exec(this.text.slice(this.pos))?.[0];
    if (!name) return "$";
    this.pos += name.length;
    return this.lookup(name) ?? "";
  }

  braced(): string {
    this.pos++;
    const name = /^[A-Za-z0-9_]+/.exec(this.text.slice(this.pos))?.[0];
    if (!name) throw new ExpandError(`bad substitution in ${JSON.stringify(this.text)}`);
    this.pos += name.length;
    const value = this.lookup(name);
    if (this.peek() === "}") {
      this.pos++;
      return value ?? "";
    }
    const op = /^(:?[-+?])/.exec(this.text.slice(this.pos))?.[0];
    if (!op) throw new ExpandError(`unsupported modifier in \${${name}...} in ${JSON.stringify(this.text)}`);
    this.pos += op.length;
    const word = this.untilBrace();
    const set = op.startsWith(":") ? value !== undefined && value !== "" : value !== undefined;
    if (op.endsWith("-")) return set ? (value as string) : word;
    if (op.endsWith("+")) return set ? word : "";
    if (!set) throw new ExpandError(`${name}: ${word || "is not allowed to be unset"}`);
    return value as string;
  }

  /** The word of a `${VAR:-word}` modifier, itself expanded, up to the closing brace. */
  untilBrace(): string {
    let out = "";
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos];
      if (ch === "}") {
        this.pos++;
        return out;
      }
      if (ch === "$") out += this.variable();
      else if (ch === "'") out += this.single();
      else if (ch === '"') out += this.double();
      else if (ch === this.escape && this.pos + 1 < this.text.length) {
        out += this.text[this.pos + 1];
        this.pos += 2;
      } else {
        out += ch;
        this.pos++;
      }
    }
    throw new ExpandError(`missing '}' in ${JSON.stringify(this.text)}`);
  }
}

/** One word: quotes removed, variables expanded, whitespace kept. */
export function expandWord(text: string, lookup: Lookup, escape = "\\"): string {
  return new Lexer(text, lookup, escape).words(false).join("");
}

/**
 * The content of an unquoted heredoc of COPY/ADD, as BuildKit expands it (its lexer
 * with SkipProcessQuotes): variables expand, quotes stay as written, `\\` escapes.
 */
export function expandHeredoc(text: string, lookup: Lookup): string {
  return new Lexer(text, lookup, "\\", true).words(false).join("");
}

/** Whitespace-separated words, each with quotes removed and variables expanded. */
export function expandWords(text: string, lookup: Lookup, escape = "\\"): string[] {
  return new Lexer(text, lookup, escape).words(true);
}

/**
 * Splits `text` into whitespace-separated words without touching quotes or variables
 * (for `key=value` lists, whose parts are expanded separately).
 */
export function rawWords(text: string, escape = "\\"): string[] {
  const out: string[] = [];
  let word = "";
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote === "" && /\s/.test(ch)) {
      if (word !== "") out.push(word);
      word = "";
      continue;
    }
    if (ch === escape && quote !== "'" && i + 1 < text.length) {
      word += ch + text[++i];
      continue;
    }
    if (quote === "" && (ch === "'" || ch === '"')) quote = ch;
    else if (ch === quote) quote = "";
    word += ch;
  }
  if (word !== "") out.push(word);
  return out;
}

/** A lookup over maps, first match wins. */
export function lookupIn(...scopes: ReadonlyMap<string, string>[]): Lookup {
  return (name) => {
    for (const scope of scopes) {
      const value = scope.get(name);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}
