/** One set of PromQL query templates; see the package README for the placeholders. */
interface PrometheusQuerySet {
  /** Requests of the arm over the window: one number. Default: `http_requests_total`. */
  requests?: string;
  /**
   * Failed requests of the arm over the window: one number, and a 0 (not an empty result) when
   * the arm served requests without errors. Default: the `5..` codes of `http_requests_total`.
   */
  errors?: string;
  /**
   * Latency histogram of the arm over the window: one cumulative count per `le` label, `+Inf`
   * included. `false` collects no latency. Default: `http_request_duration_seconds_bucket`.
   */
  latency?: string | false;
  /** The unit of the `le` bounds of `latency`. Default `seconds`. */
  latencyUnit?: 'seconds' | 'milliseconds';
  /**
   * Point-in-time readings by name (e.g. `cpu-cores`), each one number. Replaces the built-in
   * map (the CPU cores and working-set memory bytes per pod of the arm); `{}` collects none.
   */
  gauges?: { [name: string]: string };
  /** Business metrics by name, each a count and its total over the window. Default none. */
  ratios?: {
    [name: string]: {
      /** The numerator, e.g. checkouts. */
      count: string;
      /** The denominator, e.g. visits. */
      total: string;
    };
  };
}

/** How one track of pods is labelled and named. */
interface PrometheusTrack {
  /** The value of `{{track}}` for these pods. */
  label?: string;
  /** Appended to the workload name (`backstage.io/kubernetes-id`) to give `{{workload}}`. */
  workloadSuffix?: string;
}

export interface Config {
  canary?: {
    /**
     * The Prometheus metrics provider (kind `prometheus`). Without `baseUrl` the module registers
     * nothing.
     */
    prometheus?: {
      /** The Prometheus HTTP API's base URL, e.g. `http://prometheus.monitoring:9090`. */
      baseUrl: string;
      /** How long one query may take, e.g. `10s` or `{ seconds: 10 }`. Default 10 seconds. */
      timeout?:
        | string
        | {
            milliseconds?: number;
            seconds?: number;
            minutes?: number;
          };
      /** Credentials sent with every query. Give at most one of the two. */
      auth?: {
        /**
         * Sent as `Authorization: Bearer <token>`.
         * @visibility secret
         */
        bearerToken?: string;
        /** Sent as `Authorization: Basic ...`. */
        basic?: {
          username: string;
          /** @visibility secret */
          password: string;
        };
      };
      /**
       * Extra headers sent with every query, e.g. `X-Scope-OrgID` for a multi-tenant Mimir.
       * @visibility secret
       */
      headers?: { [name: string]: string };
      /**
       * The pods of each track. The canary arm reads the `canary` track; the baseline arm reads
       * the `stable` track, or the `baseline` track when the rollout runs a dedicated baseline.
       * Defaults: labels `stable`, `canary`, `baseline`; suffixes none, `-canary`, `-baseline`.
       */
      tracks?: {
        stable?: PrometheusTrack;
        canary?: PrometheusTrack;
        baseline?: PrometheusTrack;
      };
      /** The query set of kind `prometheus`; a query left out takes its built-in default. */
      queries?: PrometheusQuerySet;
      /**
       * More query sets by name: the set `istio` is the metrics kind `prometheus:istio`
       * (`canary.backstage.io/metrics: prometheus:istio`). A query left out takes its built-in
       * default.
       */
      querySets?: { [name: string]: PrometheusQuerySet };
    };
  };
}
