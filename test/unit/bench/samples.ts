import type { Scenario } from "../../../bench/lib/app.ts";
import type { Sample } from "../../../bench/lib/summary.ts";
import type { ToolName } from "../../../bench/lib/tools.ts";

/** One measured job of the app suite, with the fields a test does not care about filled in. */
export function sample(tool: ToolName, scenario: Scenario, run: number, seconds: number, more: Partial<Sample> = {}): Sample {
  return { suite: "app", run, tool, scenario, seconds, downloaded: 0, layerDownloaded: 0, uploaded: 1000 * run, requests: 10, ...more };
}
