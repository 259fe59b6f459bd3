/**
 * How the Ansible toolchain is named in a stages repository (src/ansible/publish.ts), apart
 * from publishing it, so cleanup can tell its tag without loading the toolchain code.
 */
import { BuildError } from "../errors.ts";

export const TOOLCHAIN_TAG_PREFIX = "ansible-toolchain-";

/** On the toolchain's manifest: its digest (the layer's diff id), so cleanup needs no config read. */
export const TOOLCHAIN_ANNOTATION = "io.slipway.ansible-toolchain";

/** The stage input (and `slipway.inputs` label key) that names the toolchain an ansible stage runs with. */
export const TOOLCHAIN_INPUT = "ansibleToolchain";

/** `ansible-toolchain-<recipe id>`: the tag of a toolchain in a stages repository. */
export function toolchainTag(recipe: string): string {
  if (!/^[0-9a-f]{32}$/.test(recipe)) throw new BuildError("", "ansible", `not an ansible toolchain recipe id: ${JSON.stringify(recipe)}`);
  return `${TOOLCHAIN_TAG_PREFIX}${recipe}`;
}

export function isToolchainTag(tag: string): boolean {
  return tag.startsWith(TOOLCHAIN_TAG_PREFIX) && /^[0-9a-f]{32}$/.test(tag.slice(TOOLCHAIN_TAG_PREFIX.length));
}
