import { createRegistry } from "./index.ts";
import type { CredentialSource, Registry, RetryPolicy } from "./types.ts";

/** One client per registry host (its token and counters kept), made on first use. */
export function registryClients(credentials?: CredentialSource, retry?: RetryPolicy): (host: string) => Registry {
  const clients = new Map<string, Registry>();
  return (host) => {
    let client = clients.get(host);
    if (!client) clients.set(host, (client = createRegistry({ host, credentials, retry })));
    return client;
  };
}
