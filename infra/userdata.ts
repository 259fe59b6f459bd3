import { readFileSync } from "node:fs";

/** The line in runner-image/bootstrap.sh that rendering replaces with the node's settings. */
export const SETTINGS_MARKER = "# @@SLIPWAY_SETTINGS@@";

/** Non-secret settings only: a key that looks like a credential is refused outright. */
const SECRET_LOOKING = /TOKEN|SECRET|PASSWORD|KEY/;

export type NodeSettings = Record<string, string | number>;

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Renders the bootstrap with its settings as shell assignments in place of the marker line.
 * User data is readable by anyone who can describe the instance (and by any process on the
 * node through IMDS), which is why tokens travel through SSM instead.
 */
export function renderBootstrap(script: string, settings: NodeSettings): string {
  if (!script.includes(SETTINGS_MARKER)) throw new Error(`bootstrap has no settings marker (${SETTINGS_MARKER})`);
  const lines = Object.entries(settings).map(([key, value]) => {
    if (!/^SLIPWAY_[A-Z0-9_]+$/.test(key)) throw new Error(`bad node setting name ${key}`);
    if (SECRET_LOOKING.test(key)) throw new Error(`node setting ${key} looks like a secret; secrets go through SSM, never user data`);
    return `${key}=${quote(String(value))}`;
  });
  return script.replace(SETTINGS_MARKER, lines.join("\n"));
}

export const BOOTSTRAP_PATH = new URL("../runner-image/bootstrap.sh", import.meta.url);

export function readBootstrap(): string {
  return readFileSync(BOOTSTRAP_PATH, "utf8");
}
