import type { BuildOptions } from "esbuild";

export declare const EXTERNAL: string[];
export declare function cliBundleOptions(entry: string, outdir: string): BuildOptions;
