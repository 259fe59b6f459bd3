/**
 * The container run of an ansible stage: `ansible-playbook` of the toolchain (mounted
 * read-only at TOOLCHAIN_MOUNT), its playbook, inventory and config in a read-only work
 * mount, Ansible's temp files in a fresh scratch mount. All three are under /dev (see
 * TOOLCHAIN_MOUNT), so none of them, nor their mount points, is in the stage's layer.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AnsibleTask } from "../config/types.ts";
import type { RunBind } from "../engine/types.ts";
import { ansibleCfg, failure, inventory, playbook, TMP_MOUNT, WORK_MOUNT } from "./playbook.ts";
import { TOOLCHAIN_MOUNT, type Toolchain } from "./toolchain.ts";

export interface AnsibleRun {
  argv: string[];
  /** Shown where a shell stage shows its script (plan --explain, reports). */
  script: string;
  binds: RunBind[];
  env: string[];
  describeFailure: (output: string) => string | undefined;
}

export function ansibleRun(tasks: AnsibleTask[], toolchain: Toolchain): AnsibleRun {
  const book = playbook(tasks);
  const argv = [`${TOOLCHAIN_MOUNT}/bin/ansible-playbook`, `${WORK_MOUNT}/playbook.yml`];
  return {
    argv,
    script: argv.join(" "),
    // TMPDIR: Ansible's Python writes temporary files; in /tmp they would change the layer's /tmp.
    env: [`ANSIBLE_CONFIG=${WORK_MOUNT}/ansible.cfg`, `TMPDIR=${TMP_MOUNT}/tmp`],
    binds: [
      toolchain.ready
        // Fetched from the registry on the first run that needs it; the bind is its directory.
        ? { source: "", target: TOOLCHAIN_MOUNT, readOnly: true, fill: toolchain.ready }
        : { source: toolchain.dir, target: TOOLCHAIN_MOUNT, readOnly: true },
      {
        source: "", target: WORK_MOUNT, readOnly: true,
        fill: async (dir) => {
          await writeFile(join(dir, "playbook.yml"), book);
          await writeFile(join(dir, "hosts"), inventory());
          await writeFile(join(dir, "ansible.cfg"), ansibleCfg());
        },
      },
      { source: "", target: TMP_MOUNT, fill: async (dir) => void (await Promise.all(["home", "tmp"].map((d) => mkdir(join(dir, d))))) },
    ],
    describeFailure: (output) => {
      const failed = failure(output);
      return failed ? `ansible task ${failed.task} failed${failed.message ? `: ${failed.message}` : ""}` : undefined;
    },
  };
}
