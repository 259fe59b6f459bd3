import { createHash } from "node:crypto";

/**
 * A git ref name made into a valid registry tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`).
 * Names that are already valid stay as they are, so `main` is `main`. Others have every
 * invalid run replaced by "-" and, because that can make two names collide
 * (`feature/x` and `feature-x`), a short hash of the original appended.
 */
export function slugTag(name: string): string {
  if (/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(name)) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  const cleaned = name.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[.-]+/, "").slice(0, 128 - 9).replace(/[.-]+$/, "");
  return `${cleaned || "ref"}-${hash}`;
}
