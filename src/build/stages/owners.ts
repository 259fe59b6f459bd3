import { BuildError } from "../../errors.ts";

/** Maps an owner/group from the config (name or number) to numeric ids for a tar entry. */
export type OwnerResolver = (owner?: string, group?: string) => Promise<{ uid: number; gid: number }>;

function parseIds(text: string | undefined): Map<string, { id: number; gid: number }> {
  const out = new Map<string, { id: number; gid: number }>();
  for (const line of (text ?? "").split("\n")) {
    const [name, , id, gid] = line.split(":");
    if (name && id !== undefined && /^\d+$/.test(id)) out.set(name, { id: Number(id), gid: Number(gid ?? id) });
  }
  return out;
}

/**
 * Resolves names through the parent image's /etc/passwd and /etc/group (read lazily,
 * only when a name is used). An owner without a group takes the owner's primary group.
 */
export function ownerResolver(readFile: (path: string) => Promise<string | undefined>, where: { image: string; stage: string }): OwnerResolver {
  let passwd: Promise<Map<string, { id: number; gid: number }>> | undefined;
  let groups: Promise<Map<string, { id: number; gid: number }>> | undefined;
  return async (owner, group) => {
    let uid = 0;
    let gid = 0;
    if (owner !== undefined) {
      if (/^\d+$/.test(owner)) uid = gid = Number(owner); // like COPY --chown=1000: the group follows
      else {
        passwd ??= readFile("/etc/passwd").then(parseIds);
        const entry = (await passwd).get(owner);
        if (!entry) throw new BuildError(where.image, where.stage, `owner ${owner} is not in the parent image's /etc/passwd`);
        uid = entry.id;
        gid = entry.gid;
      }
    }
    if (group !== undefined) {
      if (/^\d+$/.test(group)) gid = Number(group);
      else {
        groups ??= readFile("/etc/group").then(parseIds);
        const entry = (await groups).get(group);
        if (!entry) throw new BuildError(where.image, where.stage, `group ${group} is not in the parent image's /etc/group`);
        gid = entry.id;
      }
    }
    return { uid, gid };
  };
}
