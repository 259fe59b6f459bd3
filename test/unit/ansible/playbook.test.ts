import { describe, expect, test } from "vitest";
import { ansibleCfg, canonicalJson, failedTask, failure, inventory, playbook } from "../../../src/ansible/playbook.ts";
import { TOOLCHAIN_MOUNT } from "../../../src/ansible/toolchain.ts";

const at = (line: number) => ({ file: "werf.yaml", line });

describe("the generated playbook", () => {
  test("one play on all hosts without facts, as werf writes it; tasks named with their config line", () => {
    const book = JSON.parse(playbook([
      { task: { copy: { content: "x", dest: "/x" } }, module: "copy", location: at(8) },
      { task: { name: "dirs", block: [{ file: { path: "/a" } }], always: [{ debug: {} }] }, module: "block", location: at(9) },
    ]));
    expect(book).toEqual([{ hosts: "all", gather_facts: "no", tasks: [
      { name: "copy (werf.yaml:8)", copy: { content: "x", dest: "/x" } },
      { name: "dirs (werf.yaml:9)", block: [{ name: "file (in the block at werf.yaml:9)", file: { path: "/a" } }],
        always: [{ name: "debug (in the block at werf.yaml:9)", debug: {} }] },
    ] }]);
  });

  test("inventory and config: localhost, local connection, the toolchain's python, Ansible's files outside the image", () => {
    expect(inventory()).toBe(`localhost ansible_connection=local ansible_python_interpreter=${TOOLCHAIN_MOUNT}/bin/python3\n`);
    const cfg = ansibleCfg();
    for (const line of ["transport = local", "retry_files_enabled = False", "remote_tmp = /dev/.slipway/ansible-tmp/remote", "local_tmp = /dev/.slipway/ansible-tmp/local"]) {
      expect(cfg).toContain(line);
    }
  });

  test("canonical JSON sorts keys at every depth and keeps list order", () => {
    expect(canonicalJson({ b: 1, a: [{ y: 1, x: 2 }, 3] })).toBe('{"a":[{"x":2,"y":1},3],"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  test("the failed task is the last header before the first fatal line; ignored failures do not count", () => {
    const out = [
      "TASK [copy (werf.yaml:8)] ****", "changed: [localhost]",
      "TASK [probe (werf.yaml:9)] ****", "fatal: [localhost]: FAILED! => {}", "...ignoring",
      "TASK [breaks (werf.yaml:10)] ****", "fatal: [localhost]: FAILED! => {\"msg\": \"x\"}",
      "PLAY RECAP ****",
    ].join("\n");
    expect(failedTask(out)).toBe("breaks (werf.yaml:10)");
    expect(failure(out)).toEqual({ task: "breaks (werf.yaml:10)", message: "x" });
    expect(failedTask("TASK [a] ****\nok: [localhost]\n")).toBeUndefined();
    // The module's message, on one line; none when the output has no JSON after =>.
    expect(failure('TASK [pip (werf.yaml:4)] ****\nfatal: [localhost]: FAILED! => {"changed": false, "msg": "Unable to find any of pip3, pip to use.  pip needs\\nto be installed."}\n'))
      .toEqual({ task: "pip (werf.yaml:4)", message: "Unable to find any of pip3, pip to use. pip needs to be installed." });
    expect(failure("TASK [a] ****\nfatal: [localhost]: UNREACHABLE!\n")).toEqual({ task: "a" });
  });
});
