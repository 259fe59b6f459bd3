import { describe, expect, test } from "vitest";
import { configError, image, META, parse } from "../config/support.ts";

const doc = (body: string) => `${META}image: a\nfrom: x\n${body}`;

describe("ansible: sections", () => {
  test("tasks of each user stage with their module and line; cache versions as strings", () => {
    const c = parse(doc(`ansible:
  beforeInstall:
  - apk: { name: curl, update_cache: yes }
  install:
  - name: config
    ansible.builtin.copy: { content: "x", dest: /etc/x }
    when: true
  - block:
    - file: { path: /srv, state: directory }
    rescue:
    - debug: { msg: failed }
  setup:
  - community.general.npm: { path: /app }
    with_items: [1]
  cacheVersion: 3
  setupCacheVersion: b
`));
    const a = image(c, "a").ansible!;
    expect(a.beforeInstall.map((t) => [t.module, t.location.line])).toEqual([["apk", 8]]);
    expect(a.install.map((t) => [t.module, t.location.line])).toEqual([["copy", 10], ["block", 13]]);
    expect(a.setup[0].module).toBe("npm");
    expect(a.beforeSetup).toEqual([]);
    expect([a.cacheVersion, a.stageCacheVersions]).toEqual(["3", { setup: "b" }]);
    expect(image(c, "a").shell.install).toEqual([]);
  });

  test("the modules werf and the issue list are accepted, by short name and by collection", () => {
    const modules = ["command", "shell", "raw", "copy", "file", "lineinfile", "blockinfile", "template", "replace", "stat", "debug",
      "set_fact", "fail", "assert", "unarchive", "get_url", "git", "user", "group", "apt", "apk", "yum", "pip", "npm", "gem", "composer"];
    const tasks = modules.map((m) => `  - ${m}: {}\n`).join("");
    expect(image(parse(doc(`ansible:\n  install:\n${tasks}`)), "a").ansible!.install.map((t) => t.module)).toEqual(modules);
  });

  test("an unsupported module is refused at its task's line, naming the task", () => {
    const e = configError(doc(`ansible:\n  install:\n  - debug: { msg: ok }\n  - name: fetch it\n    fetch: { src: /a, dest: /b }\n`));
    expect([e.line, e.field, e.detail]).toEqual([10, "ansible.install[1].fetch", expect.stringContaining('task "fetch it": unsupported ansible module fetch')]);
  });

  test("an unsupported module inside a block is found too", () => {
    const e = configError(doc(`ansible:\n  install:\n  - block:\n    - synchronize: {}\n`));
    expect([e.line, e.field]).toEqual([9, "ansible.install[0].block[0].synchronize"]);
  });

  test("a task with no module, or two, is refused like werf does", () => {
    expect(configError(doc(`ansible:\n  install:\n  - name: nothing\n`)).detail).toMatch(/runs no module/);
    const two = configError(doc(`ansible:\n  install:\n  - copy: {}\n    file: {}\n`));
    expect([two.field, two.detail]).toEqual(["ansible.install[0].file", expect.stringMatching(/more than one module \(copy, file\)/)]);
  });

  test("shell and ansible in one image is werf's error; a task must be a map", () => {
    const both = configError(doc(`shell:\n  install: [true]\nansible:\n  install: [{ debug: {} }]\n`));
    expect([both.line, both.field, both.detail]).toEqual([8, "ansible", expect.stringMatching(/cannot be used in one image/)]);
    expect(configError(doc(`ansible:\n  install:\n  - echo hi\n`)).field).toBe("ansible.install[0]");
    expect(configError(doc(`ansible:\n  instal: []\n`)).field).toBe("ansible.instal");
  });

  test("Go templates are rendered first: the tasks hold what they produce", () => {
    const c = parse(doc(`ansible:\n  install:\n  - copy: { content: "{{ env "GREETING" }}", dest: /x }\n  - debug: { msg: "{{\`{{ item }}\`}}" }\n`), { env: { GREETING: "hi" } });
    expect(image(c, "a").ansible!.install.map((t) => t.task)).toEqual([{ copy: { content: "hi", dest: "/x" } }, { debug: { msg: "{{ item }}" } }]);
  });
});
