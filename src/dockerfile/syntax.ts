/**
 * Checks of an instruction's arguments that BuildKit makes when it parses the file
 * (instructions.Parse), before building anything: so every such problem of every
 * stage, used by the target or not, is reported in one pass with its line.
 */
import { parseDurationNs } from "../util/duration.ts";

/** `EXPOSE` port specs as Docker's nat.ParsePortSpec reads them: port or range, optional tcp/udp/sctp. */
export function badPortSpec(spec: string): string | undefined {
  const m = /^(\d+)(?:-(\d+))?(?:\/(.*))?$/.exec(spec);
  if (!m) return `invalid containerPort: ${spec}`;
  if (m[3] !== undefined && !["tcp", "udp", "sctp"].includes(m[3].toLowerCase())) return `invalid proto: ${m[3]}`;
  if (Number(m[1]) > 65535 || Number(m[2] ?? 0) > 65535) return `invalid containerPort: ${spec}`;
  return undefined;
}

/** HEALTHCHECK flags are not expanded (as in BuildKit), so they are checked with the syntax. */
function badHealthcheckFlag(flags: Map<string, string | null>): string | undefined {
  for (const name of ["interval", "timeout", "start-period", "start-interval"]) {
    const value = flags.get(name);
    if (value !== undefined && (value === null || parseDurationNs(value) === undefined)) return `HEALTHCHECK --${name}: invalid duration ${JSON.stringify(value ?? "")}`;
  }
  const retries = flags.get("retries");
  if (retries !== undefined && !/^\d+$/.test(retries ?? "")) return `HEALTHCHECK --retries: expected a whole number, got ${JSON.stringify(retries ?? "")}`;
  return undefined;
}

/** Instructions BuildKit refuses without arguments (CMD and ENTRYPOINT may be empty). */
const NEEDS_ARGUMENT = new Set(["ADD", "ARG", "COPY", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"]);

function badOnbuild(args: string): string | undefined {
  const trigger = args.trim().split(/\s+/)[0]?.toUpperCase() ?? "";
  return ["ONBUILD", "FROM", "MAINTAINER"].includes(trigger) ? `ONBUILD ${trigger} is not allowed` : undefined;
}

/** Arguments Docker refuses when it parses the file; `heredocs`: the instruction has here-documents. */
export function badArguments(keyword: string, args: string, flags: Map<string, string | null>, heredocs = false): string | undefined {
  if (NEEDS_ARGUMENT.has(keyword) && args.trim() === "") return `${keyword} requires at least one argument`;
  switch (keyword) {
    case "HEALTHCHECK":
      return badHealthcheckFlag(flags);
    case "ONBUILD":
      return badOnbuild(args);
    case "SHELL":
      return args.trim().startsWith("[") && !heredocs ? undefined : "SHELL requires the arguments to be in JSON form";
    case "COPY":
    case "ADD":
      return !heredocs && !args.trim().startsWith("[") && args.trim().split(/\s+/).length < 2 ? `${keyword} requires at least one source and a destination` : undefined;
    case "EXPOSE":
      for (const spec of args.trim().split(/\s+/).filter((w) => w !== "" && !w.includes("$"))) {
        const why = badPortSpec(spec);
        if (why) return `EXPOSE: ${why}`;
      }
  }
  return undefined;
}
