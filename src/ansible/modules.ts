/**
 * The Ansible modules an `ansible:` stage may use: werf's list for stapel images
 * (pkg/config/raw_ansible_task.go, supportedModules), plus template and git, which the
 * issue asks for. Other modules are refused when the config is read, naming the task.
 */
const WERF_MODULES = [
  // Commands
  "command", "shell", "raw", "script",
  // Crypto (community.crypto)
  "openssl_certificate", "openssl_csr", "openssl_privatekey", "openssl_publickey",
  // Files
  "acl", "archive", "assemble", "blockinfile", "copy", "file", "replace", "find", "ini_file", "iso_extract",
  "lineinfile", "stat", "tempfile", "unarchive", "xattr",
  // Net tools
  "get_url", "slurp", "uri",
  // Packaging, languages
  "bower", "bundler", "composer", "cpanm", "easy_install", "gem", "maven_artifact", "npm", "pear", "pip", "yarn",
  // Packaging, OS
  "apk", "apt", "apt_key", "apt_repository", "apt_rpm", "dnf", "dpkg_selections", "debconf", "homebrew",
  "homebrew_cask", "homebrew_tap", "layman", "macports", "openbsd_pkg", "opkg", "package", "pacman", "pkg5",
  "pkg5_publisher", "pkgin", "pkgng", "pkgutil", "portage", "portinstall", "pulp_repo", "redhat_subscription",
  "rhn_channel", "rhn_register", "rpm_key", "slackpkg", "sorcery", "svr4pkg", "swdepot", "swupd", "urpmi", "xbps",
  "yum", "yum_repository", "zypper", "zypper_repository",
  // System
  "cron", "user", "group", "getent", "locale_gen", "timezone",
  // Utilities
  "meta", "assert", "debug", "fail", "set_fact", "wait_for",
];

export const SUPPORTED_MODULES: ReadonlySet<string> = new Set([...WERF_MODULES, "template", "git"]);

/** Collections a module may be named by (`ansible.builtin.copy`, `community.general.npm`). */
const COLLECTIONS = ["ansible.builtin.", "ansible.legacy.", "community.general.", "ansible.posix.", "community.crypto."];

/** The short name of a supported module written as `key`, or undefined. */
export function supportedModule(key: string): string | undefined {
  const prefix = COLLECTIONS.find((c) => key.startsWith(c));
  const short = prefix ? key.slice(prefix.length) : key;
  return SUPPORTED_MODULES.has(short) ? short : undefined;
}

/** Task keywords (Ansible's Task, Base, Conditional, Taggable, ... attributes): never a module. */
const KEYWORDS = new Set([
  "name", "action", "args", "async", "become", "become_exe", "become_flags", "become_method", "become_user",
  "changed_when", "check_mode", "collections", "connection", "debugger", "delay", "delegate_facts", "delegate_to",
  "diff", "environment", "failed_when", "ignore_errors", "ignore_unreachable", "local_action", "loop", "loop_control",
  "module_defaults", "no_log", "notify", "poll", "port", "register", "remote_user", "retries", "run_once", "tags",
  "throttle", "timeout", "until", "vars", "when", "any_errors_fatal",
]);

/** Keys of a task that name a module (everything but keywords and with_* loops). */
export function moduleKeys(task: Record<string, unknown>): string[] {
  return Object.keys(task).filter((k) => !KEYWORDS.has(k) && !k.startsWith("with_"));
}
