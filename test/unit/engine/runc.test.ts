import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { containerEnv, execUser, LayeredRoot } from "../../../src/engine/runc.ts";

const passwd = "root:x:0:0:root:/root:/bin/sh\n# a comment\nbuilder:x:1000:1000::/home/builder:/bin/sh\nsvc:x:999:999::/:/bin/false\n";
const group = "root:x:0:\nbuilder:x:1000:\nstaff:x:50:builder,svc\nwheel:x:10:builder\n";

describe("execUser: the user a container runs as, resolved as dockerd resolves it", () => {
  it("takes the primary group from passwd and the supplementary ones from group, primary first", () => {
    expect(execUser("builder", passwd, group)).toEqual({ uid: 1000, gid: 1000, additionalGids: [1000, 50, 10] });
    expect(execUser("1000", passwd, group)).toEqual({ uid: 1000, gid: 1000, additionalGids: [1000, 50, 10] });
    expect(execUser("", passwd, group)).toEqual({ uid: 0, gid: 0, additionalGids: [0] });
  });
  it("an explicit group replaces the primary one and adds no supplementary groups", () => {
    expect(execUser("builder:staff", passwd, group)).toEqual({ uid: 1000, gid: 50, additionalGids: [50] });
    expect(execUser("0:0", passwd, group)).toEqual({ uid: 0, gid: 0, additionalGids: [0] });
    expect(execUser("svc:4242", passwd, group)).toEqual({ uid: 999, gid: 4242, additionalGids: [4242] });
  });
  it("a numeric user the image does not know runs as that uid with gid 0; an unknown name is refused", () => {
    expect(execUser("4321", passwd, group)).toEqual({ uid: 4321, gid: 0, additionalGids: [0] });
    expect(execUser("4321", undefined, undefined)).toEqual({ uid: 4321, gid: 0, additionalGids: [0] });
    expect(execUser("nobody", passwd, group)).toBeUndefined();
    expect(execUser("builder:nogroup", passwd, group)).toBeUndefined();
  });
});

describe("containerEnv", () => {
  it("starts from PATH and HOSTNAME, replaced or extended by the container's variables in order", () => {
    expect(containerEnv("h1", [])).toEqual(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=h1"]);
    expect(containerEnv("h1", ["A=1", "PATH=/bin", "B=x=y", "A=2"])).toEqual(["PATH=/bin", "HOSTNAME=h1", "A=2", "B=x=y"]);
  });
});

describe("LayeredRoot: paths in the merged view of overlay layers", () => {
  it("finds the top layer's entry, hides whited-out names, and follows symlinks inside the root only", async () => {
    const base = await mkdtemp(join(tmpdir(), "slipway-layered-"));
    const [top, bottom] = [join(base, "top"), join(base, "bottom")];
    await mkdir(join(bottom, "usr/bin"), { recursive: true });
    await mkdir(join(bottom, "etc"), { recursive: true });
    await mkdir(join(top, "etc"), { recursive: true });
    await writeFile(join(bottom, "usr/bin/busybox"), "bb");
    await symlink("busybox", join(bottom, "usr/bin/sh"));
    await symlink("usr/bin", join(bottom, "bin"));
    await writeFile(join(bottom, "etc/passwd"), "old");
    await writeFile(join(top, "etc/passwd"), "new");
    // An absolute symlink resolves against the image's root, never this machine's.
    await symlink("/etc/hostname-of-the-host", join(top, "etc/hostname"));
    await symlink("/../../../../etc/passwd", join(top, "etc/escape"));
    await writeFile(join(bottom, "etc/group"), "g");
    // A whiteout, as overlayfs writes one: a 0/0 character device (root only, as the runc executor).
    execFileSync("mknod", [join(top, "etc/group"), "c", "0", "0"]);
    const root = new LayeredRoot([top, bottom]);
    expect(await root.resolve("/etc/group")).toBeUndefined();
    expect(await root.resolve("/bin/sh")).toBe(join(bottom, "usr/bin/busybox"));
    expect(await root.read("/etc/passwd")).toBe("new");
    expect(await root.read("/etc/escape")).toBe("new");
    expect(await root.resolve("/etc/hostname")).toBeUndefined();
    expect(await root.resolve("/nope/sh")).toBeUndefined();
  });
});
