/**
 * Image data: descriptors, manifests (OCI and Docker v2 schema 2), config documents
 * and runtime configs, and pure mutations over them, in the style of
 * go-containerregistry's v1 and mutate packages. The engine, the registry client and
 * the build all speak these types; nothing here does I/O.
 */
export * from "./media.ts";
export * from "./config.ts";
export * from "./manifest.ts";
export * from "./mutate.ts";
