/**
 * werf features slipway does not implement, refused by name (rather than as an unknown
 * key) so the user learns it is a known, deliberate gap and not a typo.
 */
import { ConfigError } from "../errors.ts";
import type { PathSegment, SourceDoc } from "./yaml-source.ts";

const REFUSED_TOP: Record<string, string> = {
  platform: "per-image platforms (werf `platform:`) are not supported",
};

const REFUSED_GIT: Record<string, string> = {};

/** Throws one ConfigError carrying every refusal of the document. */
export function refuseUnsupported(written: Record<string, unknown>, doc: SourceDoc, file: string): void {
  const refusals: ConfigError[] = [];
  for (const [key, detail] of Object.entries(REFUSED_TOP)) {
    if (key in written) refusals.push(fail(doc, file, [key], detail));
  }
  const git = written.git;
  if (Array.isArray(git)) {
    git.forEach((g, i) => {
      if (g === null || typeof g !== "object") return;
      for (const [key, detail] of Object.entries(REFUSED_GIT)) {
        if (key in g) refusals.push(fail(doc, file, ["git", i, key], detail));
      }
    });
  }
  if (refusals.length > 0) throw ConfigError.all(refusals);
}

function fail(doc: SourceDoc, file: string, path: PathSegment[], detail: string): ConfigError {
  const at = doc.locate(path, true);
  const field = path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
  return new ConfigError(file, at.line, at.column, field, detail);
}
