import { EcrRegistry } from "./ecr.ts";
import { createRegistry } from "./index.ts";
import type { CredentialSource, Registry, RetryPolicy } from "./types.ts";

export interface RegistryClients {
  (host: string): Registry;
  /**
   * Credentials for the Docker engine's own pulls and pushes: the ECR token of the same
   * client for ECR hosts (the engine has no AWS credentials of its own), else `credentials`.
   */
  readonly credentials: CredentialSource;
}

/** One client per registry host (its token and counters kept), made on first use. */
export function registryClients(credentials?: CredentialSource, retry?: RetryPolicy, ecrHosts?: ReadonlyMap<string, { registryId: string; region: string }>): RegistryClients {
  const clients = new Map<string, Registry>();
  const clientFor = (host: string) => {
    let client = clients.get(host);
    if (!client) clients.set(host, (client = createRegistry({ host, credentials, retry, ecrHosts })));
    return client;
  };
  const engineCredentials: CredentialSource = {
    async get(host) {
      const client = clientFor(host);
      return client instanceof EcrRegistry ? client.credential() : credentials?.get(host);
    },
  };
  return Object.assign(clientFor, { credentials: engineCredentials });
}
