import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DockerEngine } from "../../src/engine/docker.ts";
import { run } from "../../src/util/process.ts";
import { pushBaseImage } from "./base-image.ts";
import type { BuildWorld } from "./services.ts";
import { scratchDir } from "./services.ts";

/** A Unix-socket client for the busybox image (its nc has none): connects to argv[1], sends a line, prints the reply. */
const SOURCE = `#include <sys/socket.h>
#include <sys/un.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 2) return 64;
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {0};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
  if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) return 2;
  if (write(s, "ping\\n", 5) != 5) return 3;
  char buf[256];
  ssize_t n;
  while ((n = read(s, buf, sizeof buf)) > 0) write(1, buf, n);
  return 0;
}
`;

/** The busybox base with /bin/unix-client (compiled static with the host's gcc), pushed to the world's registry. */
export async function unixClientBase(world: BuildWorld): Promise<string> {
  const dir = await scratchDir("slipway-uc-");
  await (await import("node:fs/promises")).writeFile(join(dir, "uc.c"), SOURCE);
  const res = await run("gcc", ["-static", "-Os", "-o", join(dir, "uc"), join(dir, "uc.c")]);
  if (res.code !== 0) throw new Error(`gcc: ${res.stderr}`);
  const ref = `${world.registry.host}/base/busybox-unix-client:1`;
  await pushBaseImage(new DockerEngine({ socketPath: world.engine.socketPath }), ref, [
    { type: "file", path: "/bin/unix-client", mode: 0o755, uid: 0, gid: 0, content: await readFile(join(dir, "uc")) },
  ]);
  return ref;
}
