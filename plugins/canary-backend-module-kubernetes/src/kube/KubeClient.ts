import type {
  CustomObjectsApi,
  KubeConfig,
  RequestContext,
  ResponseContext,
} from '@kubernetes/client-node';
import { isError } from '@backstage/errors';
import {
  Failure,
  KubeRequest,
  describeFailure,
  isRetryable,
  toKubeError,
} from './errors';
import type { JsonPatchOperation } from './jsonPatch';
import type { KubeObject, ResourceType } from './resources';

/** The `@kubernetes/client-node` module, loaded with `await import()` (it is ESM-only). */
export type KubernetesClientModule = typeof import('@kubernetes/client-node');

/** How requests to one API server are timed and retried. */
export interface RequestPolicy {
  /** Timeout of one request. */
  timeoutMs: number;
  /** Attempts per request answered 429, 5xx, or not answered; 1 means no retry. */
  attempts: number;
  /** Wait before the first retry, doubled for each next one. */
  initialBackoffMs: number;
  /** The longest wait between two attempts (also caps a Retry-After). */
  maxBackoffMs: number;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * The requests this module makes to one cluster's API server, through `@kubernetes/client-node`'s
 * CustomObjectsApi used as a dynamic client: objects stay plain JSON (fields the client's models
 * do not know survive a read-modify-write), and the same calls serve Deployments, their `/scale`
 * subresource and custom resources. Each request has a timeout and is retried with exponential
 * backoff on 429, 5xx and transport errors; what fails for good is converted by `toKubeError`.
 */
export class KubeClient {
  private constructor(
    /** The cluster's name, for messages. */
    readonly cluster: string,
    private readonly api: CustomObjectsApi,
    private readonly k8s: KubernetesClientModule,
    private readonly policy: RequestPolicy,
  ) {}

  /** A client for the current context of `kubeConfig`. */
  static create(
    k8s: KubernetesClientModule,
    cluster: string,
    kubeConfig: KubeConfig,
    policy: RequestPolicy,
  ): KubeClient {
    const server = kubeConfig.getCurrentCluster()?.server;
    if (!server) {
      throw new Error(`Kubernetes cluster "${cluster}" has no server URL`);
    }
    const timeout = {
      pre: async (context: RequestContext) => {
        context.setSignal(AbortSignal.timeout(policy.timeoutMs));
        return context;
      },
      post: async (context: ResponseContext) => context,
    };
    const configuration = k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(server, {}),
      authMethods: { default: kubeConfig },
      promiseMiddleware: [timeout],
    });
    return new KubeClient(
      cluster,
      new k8s.CustomObjectsApi(configuration),
      k8s,
      policy,
    );
  }

  /** Reads an object; a NotFoundError names it when it does not exist. */
  async get<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
  ): Promise<T> {
    return this.call({ verb: 'get', type, namespace, name }, () =>
      this.api.getNamespacedCustomObject({
        ...this.path(type, namespace),
        name,
      }),
    );
  }

  /** Reads an object, or `undefined` when it does not exist. */
  async find<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.attempt(() =>
        this.api.getNamespacedCustomObject({
          ...this.path(type, namespace),
          name,
        }),
      );
    } catch (error) {
      const failure = this.failureOf(error);
      if (failure.code === 404 && failure.status?.details?.name) {
        return undefined;
      }
      throw toKubeError(
        this.describe({ verb: 'get', type, namespace, name }),
        failure,
      );
    }
  }

  /** Creates an object; a ConflictError when one of that name exists. */
  async create<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    body: T,
  ): Promise<T> {
    return this.call(
      { verb: 'create', type, namespace, name: body.metadata.name },
      () =>
        this.api.createNamespacedCustomObject({
          ...this.path(type, namespace),
          body,
        }),
    );
  }

  /**
   * Applies a JSON Patch (`application/json-patch+json`) to an object and returns the object as
   * stored. Make it conditional with `onlyIfUnchanged` to get a ConflictError (409) when someone
   * else wrote the object since it was read.
   */
  async patch<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    operations: JsonPatchOperation[],
  ): Promise<T> {
    return this.call({ verb: 'patch', type, namespace, name }, () =>
      this.api.patchNamespacedCustomObject(
        { ...this.path(type, namespace), name, body: operations },
        this.k8s.setHeaderOptions(
          'Content-Type',
          this.k8s.PatchStrategy.JsonPatch,
        ),
      ),
    );
  }

  /** Sets `spec.replicas` through the `/scale` subresource, with a merge patch. */
  async scale(
    type: ResourceType,
    namespace: string,
    name: string,
    replicas: number,
  ): Promise<void> {
    await this.call(
      { verb: 'patch', type, subresource: 'scale', namespace, name },
      () =>
        this.api.patchNamespacedCustomObjectScale(
          {
            ...this.path(type, namespace),
            name,
            body: { spec: { replicas } },
          },
          this.k8s.setHeaderOptions(
            'Content-Type',
            this.k8s.PatchStrategy.MergePatch,
          ),
        ),
    );
  }

  private path(type: ResourceType, namespace: string) {
    return {
      group: type.group,
      version: type.version,
      plural: type.plural,
      namespace,
    };
  }

  private describe(request: Omit<KubeRequest, 'cluster'>): KubeRequest {
    return { ...request, cluster: this.cluster };
  }

  /** Sends a request with retries; converts what fails for good. */
  private async call<T>(
    request: Omit<KubeRequest, 'cluster'>,
    send: () => Promise<T>,
  ): Promise<T> {
    try {
      return await this.attempt(send);
    } catch (error) {
      throw toKubeError(this.describe(request), this.failureOf(error));
    }
  }

  /** Sends a request, again after a backoff while it fails in a retryable way. */
  private async attempt<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const failure = this.failureOf(error);
        if (!isRetryable(failure) || attempt >= this.policy.attempts) {
          throw error;
        }
        await sleep(this.backoffMs(attempt, failure));
      }
    }
  }

  private failureOf(error: unknown): Failure {
    if (isError(error) && error.name === 'AbortError') {
      return {
        transportMessage: `no answer within ${this.policy.timeoutMs} ms`,
      };
    }
    return describeFailure(error);
  }

  /** Exponential backoff with 20 % jitter, or the server's Retry-After, capped. */
  private backoffMs(attempt: number, failure: Failure): number {
    const { initialBackoffMs, maxBackoffMs } = this.policy;
    const wanted =
      failure.retryAfterSeconds !== undefined
        ? failure.retryAfterSeconds * 1000
        : initialBackoffMs * 2 ** (attempt - 1) * (0.8 + 0.4 * Math.random());
    return Math.min(maxBackoffMs, wanted);
  }
}
