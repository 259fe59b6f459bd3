import { expect } from "vitest";
import { ConfigError } from "../../../src/errors.ts";
import { parseConfig } from "../../../src/config/load.ts";
import type { ImageConfig, ProjectConfig } from "../../../src/config/types.ts";

export const DIR = "/projects/shop";

/** Parse a werf.yaml-shaped text; the meta document is added unless the text has one. */
export function parse(body: string, opts: { file?: string; env?: Record<string, string> } = {}): ProjectConfig {
  return parseConfig(body, opts.file ?? "werf.yaml", DIR, opts.env ?? {});
}

export function image(config: ProjectConfig, name: string): ImageConfig {
  const found = config.images.find((i) => i.name === name);
  expect(found, `image ${name}`).toBeDefined();
  return found!;
}

/** The ConfigError a parse throws (fails the test when it does not throw one). */
export function configError(body: string, opts: { file?: string; env?: Record<string, string> } = {}): ConfigError {
  try {
    parse(body, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError, parse succeeded");
}

export const META = "project: shop\nconfigVersion: 1\n---\n";
