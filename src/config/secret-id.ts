/** An id is a file name under /run/secrets: no slash, not `.` or `..`. */
export function secretIdProblem(id: string): string | undefined {
  if (id === "" || id === "." || id === ".." || id.includes("/") || id.includes("\0")) return `invalid secret id ${JSON.stringify(id)} (a file name under /run/secrets)`;
  return undefined;
}
