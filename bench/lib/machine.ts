import { cpus, release, totalmem } from "node:os";
import { run } from "../../src/util/process.ts";

export interface Machine {
  cores: number;
  cpu: string;
  memoryGB: number;
  kernel: string;
  docker: string;
  node: string;
}

/** What the numbers depend on, recorded next to them. */
export async function machine(socketPath: string): Promise<Machine> {
  const res = await run("/usr/bin/docker", ["version", "--format", "{{.Server.Version}}"], { env: { ...process.env, DOCKER_HOST: `unix://${socketPath}` } });
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    memoryGB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    docker: res.code === 0 ? `Docker Engine ${res.stdout.trim()}` : "unknown",
    node: process.version,
  };
}
