import { describe, expect, test } from "vitest";
import { configError, image, META, parse } from "./support.ts";

describe("secrets: (werf v2 forms)", () => {
  test("env, src and value; ids default to the variable's name and the file's base name", () => {
    const c = parse(`${META}image: a\nfrom: x\nsecrets:\n- env: AWS_ACCESS_KEY_ID\n- id: aws_secret_key\n  env: AWS_SECRET_ACCESS_KEY\n- src: "~/.aws/credentials"\n- id: plainSecret\n  value: plainSecretValue\n  rebuildOnChange: true\n`);
    expect(image(c, "a").secrets?.map(({ id, source, rebuildOnChange }) => [id, source, rebuildOnChange])).toEqual([
      ["AWS_ACCESS_KEY_ID", { env: "AWS_ACCESS_KEY_ID" }, false],
      ["aws_secret_key", { env: "AWS_SECRET_ACCESS_KEY" }, false],
      ["credentials", { src: "~/.aws/credentials" }, false],
      ["plainSecret", { value: "plainSecretValue" }, true],
    ]);
    expect(image(c, "a").secrets?.[2].location).toMatchObject({ file: "werf.yaml", line: 10 });
  });

  test("the same forms for a dockerfile: image", () => {
    const c = parse(`${META}image: a\ndockerfile: Dockerfile\nsecrets:\n- env: NPM_TOKEN\n- id: key\n  src: /etc/key.pem\n`);
    expect(image(c, "a").secrets?.map((s) => s.id)).toEqual(["NPM_TOKEN", "key"]);
  });

  test("exactly one of env, src, value; value needs an id; ids are unique file names; unknown keys", () => {
    const at = (body: string) => {
      const e = configError(`${META}image: a\nfrom: x\nsecrets:\n${body}`);
      return [e.line, e.field, e.detail];
    };
    expect(at("- env: A\n  src: /b\n")).toEqual([7, "secrets[0]", "a secret is exactly one of env, src or value"]);
    expect(at("- id: x\n")).toEqual([7, "secrets[0]", "a secret is exactly one of env, src or value"]);
    expect(at("- value: v\n")).toEqual([7, "secrets[0].value", "a secret with value needs an id"]);
    expect(at("- env: A\n- id: A\n  value: v\n")).toEqual([8, "secrets[1]", 'duplicated secret "A"']);
    expect(at("- id: a/b\n  env: A\n")).toMatchObject([7, "secrets[0].id", expect.stringMatching(/invalid secret id/)]);
    expect(at("- env: A\n  targetPath: /x\n")[1]).toBe("secrets[0].targetPath");
    const df = configError(`${META}image: a\ndockerfile: Dockerfile\nsecrets:\n- env: A\n  mode: 1\n`);
    expect([df.line, df.field]).toEqual([8, "secrets.0.mode"]);
  });
});
