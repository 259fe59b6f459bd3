import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { homedir, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import type { RunBind } from "../../engine/types.ts";

/** `~` and `~/...` in a mount's fromPath: the home directory of the user running the build, as werf expands it. */
export function expandHome(path: string, home = userHome()): string {
  return path === "~" ? home : path.startsWith("~/") ? join(home, path.slice(2)) : path;
}

/** The account's home directory (what werf's user.Current() gives), $HOME when there is no account entry. */
function userHome(): string {
  try {
    return userInfo().homedir || homedir();
  } catch {
    return homedir();
  }
}

/** Runs `fn` with the binds made real: temporary directories created (and filled), host paths expanded; temporaries removed afterwards. */
export async function withBinds<T>(binds: RunBind[], fn: (b: RunBind[]) => Promise<T>): Promise<T> {
  const temps: string[] = [];
  try {
    const real: RunBind[] = [];
    for (const b of binds) {
      if (b.source === "") {
        const dir = await mkdtemp(join(tmpdir(), "slipway-mount-"));
        temps.push(dir);
        const filled = await b.fill?.(dir);
        real.push({ source: filled || dir, target: b.target, readOnly: b.readOnly, ...(b.cache !== undefined && { cache: b.cache }), ...(b.stub && { stub: b.stub }), ...(b.noFileStub && { noFileStub: true }) });
      } else {
        const source = expandHome(b.source);
        await mkdir(source, { recursive: true });
        real.push({ source, target: b.target, readOnly: b.readOnly, ...(b.cache !== undefined && { cache: b.cache }), ...(b.stub && { stub: b.stub }), ...(b.noFileStub && { noFileStub: true }) });
      }
    }
    return await fn(real);
  } finally {
    await Promise.all(binds.map((b) => b.release?.().catch(() => undefined)));
    await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
  }
}


