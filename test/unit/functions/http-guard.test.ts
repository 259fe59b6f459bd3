import assert from "node:assert/strict";
import { checkRequestLine } from "../../../functions/runtime/http-guard.ts";
import { test } from "./support/harness.ts";

const BASE = "http://127.0.0.1:8080";
const status = (method: string, target: string) => {
  const line = checkRequestLine(method, target, BASE);
  return line.ok ? line.url.href : line.response.status;
};

test("request line: methods the Fetch API refuses or handlers never serve are 405, on any path", () => {
  for (const m of ["TRACE", "TRACK", "CONNECT", "PROPFIND", "get", "M-SEARCH", ""]) assert.equal(status(m, "/webhook"), 405, m);
  const refused = checkRequestLine("TRACE", "/nope", BASE);
  assert.ok(!refused.ok && refused.response.headers.get("allow")?.includes("POST"));
});

test("request line: targets that do not parse are 400; the rest resolve on the server's own origin", () => {
  for (const t of ["http://[::1/webhook", "http://[zz]/webhook", "webhook", "", "ftp://x/webhook", "http://", "*"]) assert.equal(status("POST", t), 400, t);
  assert.equal(status("POST", "/webhook?x=1"), `${BASE}/webhook?x=1`);
  assert.equal(status("POST", "//webhook"), `${BASE}//webhook`);
  assert.equal(status("POST", "http://[::1]/webhook"), "http://[::1]/webhook");
  assert.equal(status("OPTIONS", "*"), `${BASE}/`);
});
