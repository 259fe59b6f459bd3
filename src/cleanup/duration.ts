/** Cleanup's durations (--grace, policy `in` and `grace`) are slipway's one grammar. */
export { durationOrThrow, formatDuration, parseDuration } from "../util/duration.ts";
