/**
 * The values of build secrets, read at the edge from the sources the config names
 * (an environment variable, a host file, a literal) or `--secret` gives (docker
 * build's form), once per build. A value never enters a digest (unless its entry asks
 * with rebuildOnChange, and then only as a salted hash), a label or a report; every
 * value read is known to the masker, so command output can hide it.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { ImageConfig } from "../../config/types.ts";
import type { SecretConfig, SecretSource } from "../../config/secrets.ts";
import { secretIdProblem } from "../../config/secret-id.ts";
import { ConfigError, UsageError } from "../../errors.ts";

export interface SecretValue {
  id: string;
  value: Buffer;
  rebuildOnChange: boolean;
}

/** A `--secret` flag: `id=X,src=FILE`, `id=X,env=VAR`, `type=file|env`, as docker build spells it. */
export interface SecretFlag {
  id: string;
  source: SecretSource;
}

export function parseSecretFlag(text: string): SecretFlag {
  const fields = new Map<string, string>();
  for (const part of text.split(",").filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq < 0) throw new UsageError(`--secret ${text}: expected key=value pairs (id=, src=, env=, type=)`);
    const key = part.slice(0, eq).toLowerCase();
    if (!["id", "src", "source", "env", "type"].includes(key)) throw new UsageError(`--secret ${text}: unknown key ${key} (id, src, env, type)`);
    fields.set(key === "source" ? "src" : key, part.slice(eq + 1));
  }
  const type = fields.get("type");
  if (type !== undefined && type !== "file" && type !== "env") throw new UsageError(`--secret ${text}: type must be file or env`);
  let src = fields.get("src");
  let env = fields.get("env");
  const id = fields.get("id") || env || (src ? src.split("/").pop() : undefined);
  if (!id) throw new UsageError(`--secret ${text}: an id is required`);
  const problem = secretIdProblem(id);
  if (problem) throw new UsageError(`--secret ${text}: ${problem}`);
  if (src !== undefined && env !== undefined) throw new UsageError(`--secret ${text}: give src or env, not both`);
  // docker build: with neither, the id names the variable (type=env) or the file (type=file).
  if (src === undefined && env === undefined) {
    if (type === "file") src = id;
    else env = id;
  }
  return { id, source: env !== undefined ? { env } : { src: src as string } };
}

export interface SecretReaderOptions {
  /** The environment `env:` secrets are read from (the edge's). */
  env: Record<string, string | undefined>;
  home: string;
  /** Relative `src:` paths are relative to the project directory. */
  dir: string;
  flags: SecretFlag[];
}

/** Reads each image's secrets once; throws a ConfigError (exit 2) naming the id of one that is missing. */
export class BuildSecrets {
  readonly #opts: SecretReaderOptions;
  readonly #byImage = new Map<ImageConfig, Promise<Map<string, SecretValue>>>();
  readonly #known: Buffer[] = [];

  constructor(opts: SecretReaderOptions) {
    this.#opts = opts;
  }

  /** Every value read so far (for masking). */
  values(): readonly Buffer[] {
    return this.#known;
  }

  /** The image's `secrets:` and the `--secret` flags (a flag wins over an entry with its id). */
  forImage(image: ImageConfig): Promise<Map<string, SecretValue>> {
    let found = this.#byImage.get(image);
    if (!found) {
      found = this.#read(image);
      this.#byImage.set(image, found);
    }
    return found;
  }

  async #read(image: ImageConfig): Promise<Map<string, SecretValue>> {
    const out = new Map<string, SecretValue>();
    const flagIds = new Set(this.#opts.flags.map((f) => f.id));
    for (const entry of image.secrets ?? []) {
      if (flagIds.has(entry.id)) continue;
      out.set(entry.id, { id: entry.id, value: await this.#value(entry.id, entry.source, entry), rebuildOnChange: entry.rebuildOnChange });
    }
    for (const flag of this.#opts.flags) out.set(flag.id, { id: flag.id, value: await this.#value(flag.id, flag.source), rebuildOnChange: false });
    // A file's value usually ends in a newline that `$(cat ...)` drops: mask the trimmed text too.
    for (const v of out.values()) {
      for (const text of [v.value, Buffer.from(v.value.toString("utf8").trim())]) {
        if (text.length > 0 && !this.#known.some((k) => k.equals(text))) this.#known.push(text);
      }
    }
    return out;
  }

  async #value(id: string, source: SecretSource, entry?: SecretConfig): Promise<Buffer> {
    const missing = (why: string) => entry
      ? new ConfigError(entry.location.file, entry.location.line, entry.location.column, "secrets", `secret "${id}": ${why}`)
      : new UsageError(`--secret id=${id}: ${why}`);
    if ("value" in source) return Buffer.from(source.value);
    if ("env" in source) {
      const value = this.#opts.env[source.env];
      if (value === undefined) throw missing(`environment variable ${source.env} is not set`);
      return Buffer.from(value);
    }
    const path = this.#path(source.src);
    const info = await stat(path).catch(() => undefined);
    if (!info) throw missing(`file ${source.src} does not exist`);
    if (!info.isFile()) throw missing(`${source.src} is not a file`);
    return readFile(path);
  }

  #path(src: string): string {
    if (src === "~") return this.#opts.home;
    if (src.startsWith("~/")) return join(this.#opts.home, src.slice(2));
    return isAbsolute(src) ? src : resolve(this.#opts.dir, src);
  }
}

/**
 * What a rotation-sensitive secret adds to a digest: a hash salted with the id, so the
 * value is never in a label, and equal values under two ids do not look alike.
 */
export function secretDigestInput(secrets: SecretValue[]): string {
  return secrets
    .filter((s) => s.rebuildOnChange)
    .map((s) => `${s.id} ${createHash("sha256").update(`slipway-secret\0${s.id}\0`).update(s.value).digest("hex")}`)
    .join("\n");
}
