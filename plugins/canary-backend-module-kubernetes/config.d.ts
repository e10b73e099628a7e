export interface Config {
  /**
   * Backstage's Kubernetes plugin configuration, read as is: the clusters of every
   * `clusterLocatorMethods` entry of type `config` are clusters the canary engine can drive. Other
   * locator types are ignored by the canary module. Declared (and documented) by the Kubernetes
   * plugin; only the keys the canary module reads are listed here.
   */
  kubernetes?: {
    clusterLocatorMethods?: Array<{
      /** Only `config` entries are read. */
      type: string;
      clusters?: Array<{
        /** Matches the entity's `backstage.io/kubernetes-cluster` annotation. */
        name: string;
        /** The API server, e.g. `https://10.0.0.1:6443`. */
        url: string;
        /** Only `serviceAccount` is supported by the canary module; other clusters are skipped. */
        authProvider?: string;
        /**
         * The bearer token. Absent: the token of the pod the backend runs in
         * (`/var/run/secrets/kubernetes.io/serviceaccount/token`).
         * @visibility secret
         */
        serviceAccountToken?: string;
        /** Base64-encoded PEM of the API server's CA. */
        caData?: string;
        /** Path of a PEM file of the API server's CA. */
        caFile?: string;
        /** Do not verify the API server's certificate (tests only). Default false. */
        skipTLSVerify?: boolean;
      }>;
    }>;
  };

  canary?: {
    /** The Kubernetes traffic routers (`istio`, `gateway-api`) and workload controller (`kubernetes`). */
    kubernetes?: {
      /**
       * More clusters from a kubeconfig file: one cluster per context, named after the context, with
       * the context's credentials (tokens, client certificates, exec plugins).
       */
      kubeconfig?: {
        /** Path of the kubeconfig file. */
        path: string;
        /** Only these contexts. Default: every context of the file. */
        contexts?: string[];
      };
      /**
       * The cluster the backend runs in, reached with the pod's service account (the
       * `KUBERNETES_SERVICE_HOST`/`_PORT` variables and the mounted token and CA).
       */
      inCluster?: {
        /** Set to false to keep the block but not use it. Default true. */
        enabled?: boolean;
        /** The cluster's name, for `backstage.io/kubernetes-cluster`. Default `in-cluster`. */
        name?: string;
      };
      /**
       * The namespaces canary rollouts may act in, per cluster: a cluster's name (as
       * `backstage.io/kubernetes-cluster` names it) mapped to a list of namespace names, e.g.
       * `{ production: [shop, payments] }`. A rollout whose entity points at a namespace not listed
       * for its cluster is refused (403) at launch, and every change during a rollout is checked
       * again. Default: none, so nothing is allowed until it is listed here. Kubernetes' own
       * namespaces (`kube-` prefix) cannot be listed. Inside an allowed namespace, the module
       * changes only objects labelled `canary.backstage.io/entity` with their entity's mark (see
       * the module's README).
       */
      allowedNamespaces?: { [cluster: string]: string[] };
      /** Timeout of one request to an API server. Default `10s`. */
      requestTimeout?: string | { [unit: string]: number };
      /** Retries of requests answered 429, 5xx, or not answered (timeouts, refused connections). */
      retries?: {
        /** Attempts per request, 1-10 (1: no retry). Default 4. */
        attempts?: number;
        /** Wait before the first retry, doubled for each next one (a 429's Retry-After wins). Default `200ms`. */
        initialBackoff?: string | { [unit: string]: number };
        /** The longest wait between two attempts. Default `5s`. */
        maxBackoff?: string | { [unit: string]: number };
      };
      /** Read-modify-write attempts when a write is answered 409 Conflict, 1-20. Default 5. */
      conflictAttempts?: number;
      /** The `istio` router. */
      istio?: {
        /** The VirtualService API version: `v1` (Istio 1.22+) or `v1beta1`. Default `v1`. */
        apiVersion?: 'v1' | 'v1beta1';
      };
      /** Routing beyond the weights, for both routers. */
      routing?: {
        /**
         * Requests that always go to the canary while it takes traffic (weight above 0), e.g. internal
         * users. Each entry is one condition; a request matching any entry goes to the canary.
         * Default: the header `canary: true`. Set to `[]` for none.
         */
        requestMatches?: Array<{
          /** A request header: `value` matches exactly, `regex` as a regular expression (RE2). */
          header?: { name: string; value?: string; regex?: string };
          /** A cookie: exactly `value`, or its value matching `regex`. */
          cookie?: { name: string; value?: string; regex?: string };
          /** The User-Agent header matching `regex`. */
          userAgent?: { regex: string };
        }>;
        /**
         * Sticky sessions: a user who once landed on the canary stays on it until the rollout ends,
         * through a cookie the canary's answers set (like Flagger's session affinity). Off by default.
         */
        stickySessions?: {
          /** Default false. */
          enabled?: boolean;
          /** The cookie's name. Default `canary-release-session`. */
          cookieName?: string;
          /** The cookie's lifetime. Default `1h`. */
          maxAge?: string | { [unit: string]: number };
        };
      };
      /** The `kubernetes` workload controller. */
      workload?: {
        /** The container whose image tag is the version. Default: the first container. */
        container?: string;
        /** How the canary (and baseline) are sized. */
        scaling?: {
          /**
           * `proportional` (default): `max(minReplicas, ceil(stableReplicas * weight / 100))` for the
           * canary's weight; `off`: as many replicas as stable at every stage.
           */
          mode?: 'proportional' | 'off';
          /** The smallest canary, 1 or more. Default 1. */
          minReplicas?: number;
        };
      };
    };
  };
}
