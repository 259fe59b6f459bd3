/** One line of structured log; the host (CLI, Lambda, local server) decides where it goes. */
export type Log = (event: string, fields?: Record<string, unknown>) => void;
export const silent: Log = () => undefined;
