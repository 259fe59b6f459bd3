/**
 * HEAD of the project's git repository for `.Commit`, read with the git CLI only when a
 * template asks for it (a config without `.Commit` needs no repository).
 */
import { execFileSync } from "node:child_process";
import type { CommitInfo } from "./werf.ts";

export function headCommit(dir: string): CommitInfo {
  let out: string;
  try {
    out = execFileSync("git", ["-C", dir, "log", "-1", "--format=%H%n%ct%n%ci"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim();
    throw new Error(`unable to get HEAD commit hash: ${stderr || (err as Error).message}`);
  }
  const [hash, unix, iso] = out.trim().split("\n");
  const zone = /([+-])(\d\d)(\d\d)$/.exec(iso.trim());
  const offsetMinutes = zone ? (zone[1] === "-" ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3])) : 0;
  return { hash, unix: Number(unix), offsetMinutes };
}
