/**
 * The small part of werf's Go templating that slipway supports: `{{ env "X" }}` and
 * `{{ .Env.X }}` (with `{{-`/`-}}` trim markers). Everything else is refused by name,
 * because silently leaving `{{ range }}` in the YAML would build something else than
 * werf would.
 *
 * Expansion keeps line numbers stable so YAML errors point at the line the user wrote:
 * trim markers only eat spaces and tabs (never newlines), and a value with a newline is
 * refused.
 */
import { ConfigError } from "../errors.ts";

type Env = Record<string, string | undefined>;

const ENV_FUNC = /^env\s+"((?:[^"\\]|\\.)*)"$/;
const ENV_FIELD = /^\.Env\.([A-Za-z_][A-Za-z0-9_]*)$/;
const COMMENT = /^\/\*[\s\S]*\*\/$/;

export function expandTemplates(text: string, file: string, env: Env): string {
  let out = "";
  let pos = 0;
  for (;;) {
    const open = text.indexOf("{{", pos);
    if (open < 0) return out + text.slice(pos);
    const close = findClose(text, open + 2);
    if (close < 0) throw templateError(text, open, file, "unclosed `{{` (no matching `}}`)");
    const raw = text.slice(open + 2, close);
    const trimLeft = /^-\s/.test(raw);
    const trimRight = /\s-$/.test(raw);
    const inner = raw.slice(trimLeft ? 1 : 0, trimRight ? raw.length - 1 : raw.length).trim();
    let before = text.slice(pos, open);
    if (trimLeft) before = before.replace(/[ \t]+$/, "");
    const value = evaluate(inner, text, open, file, env);
    out += before + value;
    pos = close + 2;
    if (trimRight) while (text[pos] === " " || text[pos] === "\t") pos++;
  }
}

/** The `}}` that closes an action, skipping `}}` inside string literals (`{{ "}}" }}` is how Go templates print braces). */
function findClose(text: string, from: number): number {
  for (let i = from; i < text.length - 1; i++) {
    const c = text[i];
    if (c === "}" && text[i + 1] === "}") return i;
    if (c === "`") {
      const end = text.indexOf("`", i + 1);
      if (end < 0) return -1;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      if (text[j] !== '"') return -1;
      i = j;
    }
  }
  return -1;
}

/** A string literal action (`{{ "{{" }}`, `{{ `x` }}`) prints its text. */
function literal(inner: string): string | undefined {
  if (/^"(?:[^"\\]|\\.)*"$/.test(inner)) return goString(inner);
  const raw = /^`([^`]*)`$/.exec(inner);
  return raw ? raw[1] : undefined;
}

/** Go's interpreted string literal, for the escapes it shares with JSON; undefined for the rest. */
function goString(quoted: string): string | undefined {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}

function evaluate(inner: string, text: string, at: number, file: string, env: Env): string {
  if (COMMENT.test(inner)) {
    // A template comment vanishes, but its newlines stay so later lines keep their numbers.
    return "\n".repeat(inner.split("\n").length - 1);
  }
  const printed = literal(inner);
  if (printed !== undefined && !printed.includes("\n")) return printed;
  const fn = ENV_FUNC.exec(inner);
  const name = fn ? goString(`"${fn[1]}"`) : ENV_FIELD.exec(inner)?.[1];
  if (name === undefined) {
    throw templateError(text, at, file,
      `Go template construct \`${constructName(inner)}\` is not supported; only {{ env "X" }} and {{ .Env.X }}`);
  }
  const value = env[name] ?? "";
  if (value.includes("\n")) {
    throw templateError(text, at, file, `environment variable ${name} contains a newline; multi-line values are not supported in templates`);
  }
  return value;
}

/** A short, recognisable name for the construct: its keyword, function, or the pipe. */
export function constructName(inner: string): string {
  if (/^env\s/.test(inner) && inner.includes("|")) return `| ${inner.split("|")[1].trim().split(/\s+/)[0]}`;
  if (/^\.Env\.[\w]+\s*\|/.test(inner)) return `| ${inner.split("|")[1].trim().split(/\s+/)[0]}`;
  const first = inner.split(/\s+/)[0] ?? "";
  if (first === "") return "{{ }}";
  if (first.startsWith("$")) return inner.includes(":=") ? "variable assignment" : `variable ${first}`;
  if (first.startsWith("(")) return "parenthesised expression";
  return first.replace(/^["'`]|["'`]$/g, "");
}

function templateError(text: string, at: number, file: string, detail: string): ConfigError {
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  const column = at - before.lastIndexOf("\n");
  return new ConfigError(file, line, column, undefined, detail);
}
