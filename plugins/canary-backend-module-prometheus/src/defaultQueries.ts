/**
 * The built-in query templates, for the usual instrumentation: `http_requests_total` and
 * `http_request_duration_seconds` with the labels `namespace`, `app`, `track` and `code`, and the
 * kubelet's (cAdvisor's) container metrics with `namespace`, `pod` and `container`.
 */

/** The series of one arm's requests. */
const ARM_REQUESTS =
  'http_requests_total{namespace="{{namespace}}", app="{{app}}", track="{{track}}"}';

/** The pods of one arm's workload: a Deployment's pods are `<name>-<template hash>-<suffix>`. */
const ARM_PODS =
  'namespace="{{namespace}}", pod=~"{{workload}}-[a-z0-9]+-[a-z0-9]+", container!="", container!="POD"';

/** Requests of the arm over the window. */
export const DEFAULT_REQUESTS_QUERY = `sum(increase(${ARM_REQUESTS}[{{window}}]))`;

/**
 * Requests answered with a 5xx code. A client library creates the series of a code at its first
 * request, so an arm without errors has no 5xx series: the `or` part then answers 0, but only when
 * the arm has request series at all, so no traffic stays "no data", never 0 errors.
 */
export const DEFAULT_ERRORS_QUERY = `sum(increase(http_requests_total{namespace="{{namespace}}", app="{{app}}", track="{{track}}", code=~"5.."}[{{window}}])) or (0 * ${DEFAULT_REQUESTS_QUERY})`;

/** Cumulative latency buckets of the arm over the window, one per `le`. */
export const DEFAULT_LATENCY_QUERY =
  'sum by (le) (increase(http_request_duration_seconds_bucket{namespace="{{namespace}}", app="{{app}}", track="{{track}}"}[{{window}}]))';

/**
 * CPU cores and working-set memory bytes per pod of the arm, averaged over its pods so that arms
 * of different sizes compare.
 */
export const DEFAULT_GAUGE_QUERIES: Record<string, string> = {
  'cpu-cores': `avg(sum by (pod) (rate(container_cpu_usage_seconds_total{${ARM_PODS}}[{{window}}])))`,
  'memory-bytes': `avg(sum by (pod) (container_memory_working_set_bytes{${ARM_PODS}}))`,
};
