import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";

/** Where `npm run bundle` writes each function: dist/functions/<name>/index.mjs exporting `handler`. */
export const BUNDLE_ROOT = fileURLToPath(new URL("../dist/functions/", import.meta.url));
export const HANDLER = "index.handler";

/** Stands in for a function that was not bundled: it fails loudly instead of doing nothing. */
const PLACEHOLDER = `export const handler = async () => {
  throw new Error("slipway: this function was deployed without its bundle; run npm run bundle, then pulumi up");
};
`;

export interface FunctionCode {
  archive: pulumi.asset.Archive;
  bundled: boolean;
}

/**
 * The Lambda archive for one function. Missing bundles become a placeholder (with a warning)
 * so previews and tests run on a fresh checkout; a real deployment should bundle first.
 */
export function functionCode(name: string): FunctionCode {
  const dir = `${BUNDLE_ROOT}${name}`;
  // Only the bundle itself: the folder may also hold the zip made for other deployers.
  if (existsSync(`${dir}/index.mjs`)) {
    return { archive: new pulumi.asset.AssetArchive({ "index.mjs": new pulumi.asset.FileAsset(`${dir}/index.mjs`) }), bundled: true };
  }
  void pulumi.log.warn(`dist/functions/${name} is missing: deploying a placeholder that fails on every call (run npm run bundle first)`);
  return { archive: new pulumi.asset.AssetArchive({ "index.mjs": new pulumi.asset.StringAsset(PLACEHOLDER) }), bundled: false };
}
