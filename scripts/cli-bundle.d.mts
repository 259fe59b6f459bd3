import type { BuildOptions } from "esbuild";

export declare const EXTERNAL: string[];
export declare function cliBundleOptions(entry: string, outdir: string): BuildOptions;
/** Bundles the CLI into `outdir`: slipway.cjs, its V8 code cache and the launcher slipway.js. */
export declare function bundleCli(entry: string, outdir: string, extra?: BuildOptions): Promise<void>;
