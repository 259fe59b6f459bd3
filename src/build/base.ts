import { RegistryError } from "../errors.ts";
import type { Engine } from "../engine/types.ts";
import type { CredentialSource, Registry } from "../registry/types.ts";
import { registryClients } from "../registry/clients.ts";
import { parseImageRef } from "../registry/index.ts";
import type { BaseResolver } from "./plan.ts";

export interface BaseResolverOptions {
  engine: Engine;
  credentials?: CredentialSource;
  /** Clients per registry host, shared with the rest of the command; default: fresh ones. */
  registryFor?: (host: string) => Registry;
}

/**
 * Pins a `from` reference to the registry digest of its manifest: one HEAD per base.
 * A reference that already names a digest needs no round trip. When the registry
 * cannot be reached, an image the engine already pulled from it is used by its
 * recorded repo digest, so offline nodes still agree with online ones. When neither
 * gives a digest, the registry's answer is the error: an engine that is not there
 * (a registry-only node) or lacks the image adds nothing worth reporting.
 */
export function baseResolver(opts: BaseResolverOptions): BaseResolver {
  const registryFor = opts.registryFor ?? registryClients(opts.credentials);
  return async (ref) => {
    const parsed = parseImageRef(ref);
    if (parsed.digest) return parsed.digest;
    const tag = parsed.tag ?? "latest";
    let registryError: unknown;
    try {
      const found = await registryFor(parsed.registry).headManifest(parsed.repository, tag);
      if (found) return found.digest;
    } catch (err) {
      registryError = err;
    }
    const local = await opts.engine.inspectImage(ref).catch(() => undefined);
    const pinned = local?.repoDigests.map((d) => d.slice(d.indexOf("@") + 1)).find((d) => d.startsWith("sha256:"));
    if (pinned) return pinned;
    throw unresolved(ref, `${parsed.registry}/${parsed.repository}:${tag}`, registryError);
  };
}

function unresolved(ref: string, where: string, registryError: unknown): RegistryError {
  const what = `cannot pin base image ${ref} to a registry digest`;
  if (registryError === undefined) return new RegistryError(`${what}: the registry has no manifest ${where}`, 404, "MANIFEST_UNKNOWN");
  if (registryError instanceof RegistryError) {
    return new RegistryError(`${what}: ${registryError.message}`, registryError.status, registryError.code, { cause: registryError });
  }
  return new RegistryError(`${what}: ${registryError instanceof Error ? registryError.message : String(registryError)}`, undefined, undefined, { cause: registryError });
}
