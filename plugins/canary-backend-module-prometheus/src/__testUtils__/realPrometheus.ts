/**
 * The real Prometheus that `scripts/prometheus.sh` starts for the tests: its URL, from
 * `CANARY_TEST_PROMETHEUS_URL`. Without it the suites that need it are skipped, except in CI,
 * where its absence fails a test.
 */
export const REAL_PROMETHEUS_URL = process.env.CANARY_TEST_PROMETHEUS_URL;

/** A name no earlier run used, so runs against the same Prometheus do not mix their series. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(
    Math.random() * 1e6,
  ).toString(36)}`;
}
