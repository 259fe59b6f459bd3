/**
 * The mounts of a secret and of the ssh agent for one run. A secret is a file written
 * for this run only (in a private temporary directory, removed afterwards), bound
 * read-only. The agent is reached through a proxy socket made for the run, so the
 * container sees a socket with the mount's owner and mode, and never the host path.
 */
import { chmod, chown, stat, writeFile } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import type { RunBind } from "../../engine/types.ts";
import { UsageError } from "../../errors.ts";

export interface FileOwner {
  mode: number;
  uid: number;
  gid: number;
}

/** BuildKit's defaults for a secret file: 0400, root. */
export const SECRET_FILE: FileOwner = { mode: 0o400, uid: 0, gid: 0 };
/** BuildKit's defaults for the agent socket: 0600, root. */
export const SSH_SOCKET: FileOwner = { mode: 0o600, uid: 0, gid: 0 };

/** Only root may give a file away; otherwise it stays the build user's (root in the container still reads it). */
async function own(path: string, owner: FileOwner): Promise<void> {
  await chmod(path, owner.mode);
  await chown(path, owner.uid, owner.gid).catch(() => undefined);
}

export function secretBind(value: Buffer, target: string, owner: FileOwner = SECRET_FILE): RunBind {
  return {
    source: "",
    target,
    readOnly: true,
    stub: "file",
    fill: async (dir) => {
      const file = join(dir, "secret");
      await writeFile(file, value, { mode: 0o600 });
      await own(file, owner);
      return file;
    },
  };
}

/** `--ssh default[=SOCKET]` (docker build's form): the agent socket, $SSH_AUTH_SOCK by default. */
export async function parseSshFlag(text: string, env: Record<string, string | undefined>): Promise<string> {
  const eq = text.indexOf("=");
  const id = eq < 0 ? text : text.slice(0, eq);
  if (id !== "default") throw new UsageError(`--ssh ${text}: only the default agent is supported (--ssh default or --ssh default=SOCKET)`);
  const socket = eq < 0 ? env.SSH_AUTH_SOCK : text.slice(eq + 1);
  if (!socket) throw new UsageError("--ssh default: SSH_AUTH_SOCK is not set; give the agent's socket with --ssh default=SOCKET");
  const info = await stat(socket).catch(() => undefined);
  // docker build also takes key files here; slipway forwards a running agent only.
  if (!info?.isSocket()) throw new UsageError(`--ssh default=${socket}: not a Unix socket of a running ssh agent`);
  return socket;
}

/** A proxy of the agent at `socket`, bound at `target` for one run. */
export function sshBind(socket: string, target: string, owner: FileOwner = SSH_SOCKET): RunBind {
  const server = createServer();
  const open = new Set<Socket>();
  server.on("connection", (client) => {
    const agent = connect(socket);
    open.add(client).add(agent);
    const close = () => {
      client.destroy();
      agent.destroy();
      open.delete(client);
      open.delete(agent);
    };
    client.on("error", close).on("close", close);
    agent.on("error", close).on("close", close);
    client.pipe(agent).pipe(client);
  });
  let listening = false;
  return {
    source: "",
    target,
    stub: "file",
    fill: async (dir) => {
      const path = join(dir, "agent.sock");
      await new Promise<void>((resolve, reject) => server.once("error", reject).listen(path, () => resolve()));
      listening = true;
      await own(path, owner);
      return path;
    },
    release: async () => {
      for (const s of open) s.destroy();
      if (listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
