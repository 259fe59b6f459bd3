import { UsageError } from "../errors.ts";

/** The Docker engine socket from DOCKER_HOST (unix:// only), else undefined for the default socket. */
export function engineSocket(env: Record<string, string | undefined>): string | undefined {
  const host = env.DOCKER_HOST;
  if (!host) return undefined;
  if (!host.startsWith("unix://")) throw new UsageError(`DOCKER_HOST=${host}: only unix:// sockets are supported`);
  return host.slice("unix://".length);
}
