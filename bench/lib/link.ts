/**
 * The modelled link: what a measured loopback job would cost on a build node
 * talking to ECR, by adding the transfer time of the job's bytes and requests.
 * A model, shown next to the measured figures and never instead of them.
 */
export interface Link {
  /** Payload bandwidth in bits per second. */
  bitsPerSecond: number;
  /** Seconds per request round trip. */
  rttSeconds: number;
  /** What the figures stand for, printed with the table. */
  description: string;
}

/**
 * A c5.xlarge build node (4 vCPUs, a common GitLab runner size) and ECR in the
 * same region. AWS's instance network bandwidth tables give c5.xlarge a
 * baseline of 1.25 Gbps (bursting "up to 10 Gbps" while network credits last);
 * the baseline is taken because a busy fleet spends its credits. AWS documents
 * "single-digit millisecond" latency between the Availability Zones of a
 * region, and ECR is a regional endpoint: 5 ms per request. Sources in docs/bench.md.
 */
export const EC2_TO_ECR: Link = {
  bitsPerSecond: 1.25e9,
  rttSeconds: 0.005,
  description: "c5.xlarge to ECR in the same region: 1.25 Gbps (the instance's baseline bandwidth), 5 ms per request",
};

export function link(gbps: number, rttMs: number): Link {
  if (!(gbps > 0) || !(rttMs >= 0)) throw new Error(`the link needs a bandwidth above 0 and a round trip of at least 0 ms, got ${gbps} Gbps and ${rttMs} ms`);
  if (gbps === 1.25 && rttMs === 5) return EC2_TO_ECR;
  return { bitsPerSecond: gbps * 1e9, rttSeconds: rttMs / 1000, description: `${gbps} Gbps, ${rttMs} ms per request (given on the command line)` };
}

/**
 * Seconds the link adds to a job: its bytes (down and up) at the link's bandwidth,
 * and one round trip per request, as if none overlapped. Deliberately simple:
 * requests in parallel would overlap and the loopback transfer already in the
 * measured time is not subtracted, so it overstates, for every tool alike.
 */
export function transferSeconds(l: Link, bytes: number, requests: number): number {
  return (bytes * 8) / l.bitsPerSecond + requests * l.rttSeconds;
}

/** A measured job's seconds plus what the link adds. */
export function modelledSeconds(l: Link, job: { seconds: number; downloaded: number; uploaded: number; requests: number }): number {
  return job.seconds + transferSeconds(l, job.downloaded + job.uploaded, job.requests);
}
