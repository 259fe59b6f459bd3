/**
 * Heredocs built by slipway on a real engine and registry. The engine's BuildKit
 * (Docker 20.10, no dockerfile:1.4 frontend offline) cannot build them, so the image
 * is checked for the effects the Dockerfile reference documents.
 */
import { describe, expect, test } from "vitest";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { slipwayJson, statuses } from "../../support/cli.ts";
import { scratchDir, testEngine, withRegistryAndBase } from "../../support/services.ts";
import { pullAndRun } from "../distributed/support.ts";
import { contextDir, fileTree } from "./support.ts";

let registry: LocalRegistry;
let base: string;

withRegistryAndBase((r, b) => ((registry = r), (base = b)));

const DOCKERFILE = `ARG BASE
FROM \${BASE}
ARG GREETING=hello
RUN <<EOF
echo one > /one.txt
echo "$GREETING" >> /one.txt
EOF
RUN <<EOT
#!/bin/sh
echo "script $0" > /script.txt
EOT
RUN cat <<A > /a.txt && cat <<-"B" > /b.txt
alpha
A
\tbeta $HOME
\tB
COPY <<EOF /etc/motd
greeting \${GREETING}
EOF
COPY --chmod=755 <<X <<'Y' /opt/
x \${GREETING}
X
y \${GREETING}
Y
CMD ["cat", "/one.txt", "/script.txt", "/a.txt", "/b.txt", "/etc/motd", "/opt/X", "/opt/Y"]
`;

describe("Dockerfile heredocs", () => {
  test("RUN and COPY heredocs make the files the reference documents; nothing of /dev/pipes stays in the image", async () => {
    const dir = await contextDir({ Dockerfile: DOCKERFILE });
    const repo = `${registry.host}/df-heredoc`;
    await using node = await testEngine();
    const env = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-") };
    const report = await slipwayJson(["bp", repo, "--tag", "v1", "--dir", dir, "--build-arg", `BASE=${base}`, "--build-arg", "GREETING=hi"], { env });
    expect(Object.keys(statuses(report))).toEqual([
      "FROM#1 ${BASE}", "RUN#3 <<EOF", "RUN#4 <<EOT", 'RUN#5 cat <<A > /a.txt && cat <<-"B" > /b.txt',
      "COPY#6 <<EOF /etc/motd", "COPY#7 --chmod=755 <<X <<'Y' /opt/", 'CMD#8 ["cat", "/one.txt", "/script.txt", "/a.t...',
    ]);
    expect(report.totals.containersRun).toBe(3);
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}:v1`)).toBe(
      "one\nhi\nscript /dev/pipes/EOT\nalpha\nbeta $HOME\ngreeting hi\nx hi\ny ${GREETING}\n",
    );
    const tree = await fileTree(other.socketPath, `${repo}:v1`);
    expect([tree["etc/motd"], tree["opt/X"], tree["opt/Y"]]).toEqual(["file 100644 0:0 12", "file 100755 0:0 5", "file 100755 0:0 14"]);
    // The layer of the `#!` RUN holds only what the script wrote.
    expect(Object.keys(tree).filter((p) => /EOT|pipes/.test(p))).toEqual([]);
  });
});
