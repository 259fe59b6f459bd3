/**
 * Checks between images: unique names, references to images that exist, no cycles.
 * References are resolved by name; the reference records the actual kind of its
 * target, so `fromImage: some-artifact` (which werf tolerates) still builds.
 */
import { ConfigError } from "../errors.ts";
import type { ImageConfig } from "./types.ts";
import type { ImageRef } from "./normalize.ts";
import { suggest } from "./validate.ts";

export function checkGraph(images: ImageConfig[], refs: ImageRef[]): void {
  checkUniqueNames(images);
  const byName = new Map(images.map((img) => [img.name, img]));
  for (const ref of refs) {
    if (byName.has(ref.to)) continue;
    const hint = suggest(ref.to, [...byName.keys()].filter((n) => n !== ""));
    throw refError(ref, `no image or artifact named "${ref.to}"${hint ? `; did you mean "${hint}"?` : ""}`);
  }
  resolveKinds(images, byName);
  checkCycles(refs);
}

function refError(ref: ImageRef, detail: string): ConfigError {
  return new ConfigError(ref.location.file, ref.location.line, ref.location.column, ref.field, detail);
}

function checkUniqueNames(images: ImageConfig[]): void {
  const seen = new Map<string, ImageConfig>();
  for (const img of images) {
    const first = seen.get(img.name);
    if (first) {
      const what = img.name === "" ? "a second nameless image" : `"${img.name}" is defined twice`;
      throw new ConfigError(img.location.file, img.location.line, img.location.column, img.kind,
        `${what} (first at line ${first.location.line})`);
    }
    seen.set(img.name, img);
  }
}

/** fromImage/fromArtifact and import image/artifact follow the target's real kind. */
function resolveKinds(images: ImageConfig[], byName: Map<string, ImageConfig>): void {
  for (const img of images) {
    const parent = img.fromImage ?? img.fromArtifact;
    if (parent !== undefined) {
      delete img.fromImage;
      delete img.fromArtifact;
      if (byName.get(parent)!.kind === "artifact") img.fromArtifact = parent;
      else img.fromImage = parent;
    }
    for (const imp of img.imports) if (imp.fromKind !== "external") imp.fromKind = byName.get(imp.from)!.kind;
  }
}

function checkCycles(refs: ImageRef[]): void {
  const edges = new Map<string, ImageRef[]>();
  for (const ref of refs) edges.set(ref.from, [...(edges.get(ref.from) ?? []), ref]);
  const done = new Set<string>();
  const visit = (name: string, stack: ImageRef[]): void => {
    if (done.has(name)) return;
    for (const ref of edges.get(name) ?? []) {
      const loopStart = stack.findIndex((r) => r.from === ref.to);
      if (ref.to === ref.from || loopStart >= 0) {
        const loop = ref.to === ref.from ? [ref] : [...stack.slice(loopStart), ref];
        const chain = [...loop.map((r) => label(r.from)), label(ref.to)].join(" -> ");
        throw refError(loop[0], `images depend on each other in a cycle: ${chain}`);
      }
      visit(ref.to, [...stack, ref]);
    }
    done.add(name);
  };
  for (const name of edges.keys()) visit(name, []);
}

function label(name: string): string {
  return name === "" ? "(nameless)" : name;
}

/** Names of the images an image needs built first (its parent and the sources of its imports), without repeats. */
export function dependenciesOf(img: ImageConfig): string[] {
  const parent = img.fromImage ?? img.fromArtifact;
  const sources = [...img.imports.filter((i) => i.fromKind !== "external").map((i) => i.from), ...img.dependencies.map((d) => d.image)];
  return [...new Set([...(parent !== undefined ? [parent] : []), ...sources])];
}

/** Images ordered so each comes after everything it depends on (file order otherwise). The loader has ruled out cycles. */
export function buildOrder(images: readonly ImageConfig[]): ImageConfig[] {
  const byName = new Map(images.map((img) => [img.name, img]));
  const ordered: ImageConfig[] = [];
  const seen = new Set<string>();
  const visit = (img: ImageConfig): void => {
    if (seen.has(img.name)) return;
    seen.add(img.name);
    for (const dep of dependenciesOf(img)) visit(byName.get(dep)!);
    ordered.push(img);
  };
  images.forEach(visit);
  return ordered;
}
