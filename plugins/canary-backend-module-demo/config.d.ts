export interface Config {
  canary?: {
    /**
     * The embedded demo: a small HTTP service in a stable and a canary version, a weighted router
     * in front, a load generator and per-version counters, all on 127.0.0.1, driven through the
     * `demo` router, workload controller and metrics provider. Runs when this block is present
     * (`demo: {}` is enough) unless `enabled` is false; without the block it does not run.
     */
    demo?: {
      /** Set to false to keep the block but not run the demo. Default true. */
      enabled?: boolean;
      /** The version stable runs at start. Default `1.0.0`. */
      stableVersion?: string;
      /** Requests per second the load generator sends to each workload's router, 0-1000. Default 100. */
      requestsPerSecond?: number;
      /**
       * Milliseconds a newly deployed version (canary, or stable at promotion) takes to become
       * ready, like a pod passing its readiness probe. Default 1000.
       */
      startupDelayMs?: number;
      /**
       * The demo workloads; an entity targets one with `backstage.io/kubernetes-id` (and
       * `backstage.io/kubernetes-namespace`). Default: one workload `demo-shop` in `default`.
       */
      workloads?: Array<{
        /** Matches the entity's `backstage.io/kubernetes-id`. */
        name: string;
        /** Matches the entity's `backstage.io/kubernetes-namespace`. Default `default`. */
        namespace?: string;
        /** The router's port on 127.0.0.1. Default 0: any free port (logged at start). */
        port?: number;
      }>;
      /**
       * How versions behave, by version (quote the keys in YAML: `'1.2.0':`). An entry overrides
       * the built-in behaviour of its version field by field; versions nobody describes behave
       * like a healthy one (1 % errors, no extra latency). Built in: `1.0.0` and `1.1.0`
       * healthy, `1.2.0` with 5.5 % errors, `1.3.0` with 250 ms extra latency, `1.4.0` healthy
       * for 60 s, then with 5.5 % errors.
       */
      versions?: {
        [version: string]: {
          /** Fraction of requests answered with HTTP 500, 0-1 (0.06 = 6 %). Default 0.01. */
          errorRate?: number;
          /** Mean latency in milliseconds added to the base latency (about 30 ms), 0-10000. Default 0. */
          latencyMs?: number;
          /**
           * A regression that starts late (a cache expiring, a leak, a cron): for this many
           * milliseconds after the version becomes ready on a deployment (canary, or stable at
           * promotion; each rollout of it starts the count afresh) it behaves like a healthy version
           * (1 % errors, no extra latency), then as `errorRate` and `latencyMs` say. 0-86400000
           * (a day). Default 0: as described from the start.
           */
          regressAfterMs?: number;
        };
      };
      /**
       * Serves this backend's demo world over HTTP on 127.0.0.1, without authentication: every
       * workload's weights and versions, and the router, workload and metrics calls the engine
       * makes. Another backend replica can act on the same world with `remote`; tests read the
       * world through it. Absent: not served.
       */
      worldApi?: {
        /** The port on 127.0.0.1. Default 0: any free port (logged at start). */
        port?: number;
      };
      /**
       * The URL of a demo world served elsewhere (`worldApi` of another backend, or a test), e.g.
       * `http://127.0.0.1:7007`. This backend then runs no demo workloads of its own: its `demo`
       * providers act on that world, so several replicas share one world. Not together with
       * `worldApi`.
       */
      remote?: string;
    };
  };
}
