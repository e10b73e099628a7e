/**
 * The demo's services report their own handling time in a `Server-Timing` header (metric `app`),
 * and the router records that as the request's latency. This is what a mesh reports in production
 * (Istio's request duration is measured by the serving pod's sidecar), and it keeps the load of the
 * process that runs Backstage and the whole demo out of the arms' latencies: a busy event loop
 * delays every timer, but it is not the service being slow.
 */

const APP_TIMING = /(?:^|,)\s*app;dur=(\d+(?:\.\d+)?)\s*(?:,|$)/;

/** The `Server-Timing` value for a handling time in milliseconds. */
export function serverTiming(durationMs: number): string {
  return `app;dur=${Math.max(0, durationMs).toFixed(3)}`;
}

/** The handling time in seconds a `Server-Timing` header reports, if it reports one. */
export function serverTimingSeconds(
  header: string | string[] | undefined,
): number | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  const match = value === undefined ? null : APP_TIMING.exec(value);
  return match ? Number(match[1]) / 1000 : undefined;
}
