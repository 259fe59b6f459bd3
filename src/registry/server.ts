import { spawn } from "node:child_process";
import { mkdir, open, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { stopProcess, waitFor } from "../util/process.ts";
import { RegistryError } from "../errors.ts";

/** A CNCF distribution registry on a loopback port, with deletes enabled and an access log. */
export interface LocalRegistry extends AsyncDisposable {
  /** host:port, e.g. 127.0.0.1:41234 */
  readonly host: string;
  readonly root: string;
  /** File that receives the registry's log, one line per request among others. */
  readonly logPath: string;
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  root: string;
  port?: number;
  /** htpasswd file content (bcrypt) to require basic auth. */
  htpasswd?: string;
  binary?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function configYaml(root: string, port: number, htpasswdPath?: string): string {
  const auth = htpasswdPath ? `auth:\n  htpasswd:\n    realm: slipway\n    path: ${htpasswdPath}\n` : "";
  return `version: 0.1
log:
  level: info
  formatter: json
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${join(root, "data")}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  headers:
    X-Content-Type-Options: [nosniff]
${auth}`;
}

export async function startRegistry(opts: StartRegistryOptions): Promise<LocalRegistry> {
  const root = opts.root;
  await mkdir(join(root, "data"), { recursive: true });
  const port = opts.port ?? (await freePort());
  let htpasswdPath: string | undefined;
  if (opts.htpasswd) {
    htpasswdPath = join(root, "htpasswd");
    await writeFile(htpasswdPath, opts.htpasswd, { mode: 0o600 });
  }
  const configPath = join(root, "config.yml");
  await writeFile(configPath, configYaml(root, port, htpasswdPath));
  const logPath = join(root, "registry.log");
  const log = await open(logPath, "a");
  const child = spawn(opts.binary ?? "docker-registry", ["serve", configPath], { stdio: ["ignore", log.fd, log.fd] });
  let exited = false;
  child.once("exit", () => (exited = true));
  const host = `127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcess(child, 5000);
    await log.close().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  };
  try {
    await waitFor(`registry at ${host}`, async () => {
      if (exited) throw new RegistryError(`registry exited early; see ${logPath}`);
      const res = await fetch(`http://${host}/v2/`);
      return res.status === 200 || res.status === 401;
    }, 30_000);
  } catch (err) {
    await stopProcess(child, 1000);
    throw err;
  }
  return { host, root, logPath, stop, [Symbol.asyncDispose]: stop };
}
