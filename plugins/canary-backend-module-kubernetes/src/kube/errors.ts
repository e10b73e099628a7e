import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
  isError,
} from '@backstage/errors';
import { ResourceType, apiVersionOf, resourceName } from './resources';

/** One request to an API server, described for error messages. */
export interface KubeRequest {
  cluster: string;
  /** The RBAC verb the request needs. */
  verb: 'get' | 'create' | 'patch';
  type: ResourceType;
  subresource?: string;
  namespace: string;
  /** Absent for a create. */
  name?: string;
}

/** The parts of a Kubernetes `Status` body that messages use. */
interface Status {
  message?: string;
  reason?: string;
  details?: { name?: string; kind?: string };
}

/** What a failed request tells: the HTTP status (absent when nothing answered) and why. */
export interface Failure {
  code?: number;
  status?: Status;
  /** Seconds from a 429's or 503's Retry-After header. */
  retryAfterSeconds?: number;
  /** The transport's message when nothing answered (timeout, refused, reset). */
  transportMessage?: string;
}

function parseStatus(body: unknown): Status | undefined {
  if (typeof body === 'object' && body !== null) return body as Status;
  if (typeof body !== 'string' || body === '') return undefined;
  try {
    const parsed = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null
      ? parsed
      : { message: body };
  } catch {
    return { message: body.slice(0, 500) };
  }
}

/**
 * Reads what a call of `@kubernetes/client-node` threw: an `ApiException` (`code`, a string
 * `body` holding a `Status`, `headers`) or a transport error (node-fetch's FetchError, an
 * AbortError on timeout).
 */
export function describeFailure(error: unknown): Failure {
  const candidate = error as {
    code?: unknown;
    body?: unknown;
    headers?: Record<string, string>;
  };
  if (typeof candidate?.code === 'number') {
    const retryAfter = Number(candidate.headers?.['retry-after']);
    return {
      code: candidate.code,
      status: parseStatus(candidate.body),
      retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : undefined,
    };
  }
  return {
    transportMessage: isError(error) ? error.message : String(error),
  };
}

/** True when trying the same request again may succeed: 429, 5xx, or no answer. */
export function isRetryable(failure: Failure): boolean {
  if (failure.code === undefined) return true;
  return failure.code === 429 || failure.code >= 500;
}

function objectLabel(request: KubeRequest) {
  const { type, namespace, name } = request;
  return name
    ? `${type.kind} ${namespace}/${name}`
    : `a ${type.kind} in namespace ${namespace}`;
}

/**
 * The error to report for a request that failed for good, naming what a service owner needs to
 * fix: the RBAC rule (403), the missing object or resource type (404), the competing writer (409).
 */
export function toKubeError(request: KubeRequest, failure: Failure): Error {
  const { cluster, verb, type, subresource, namespace } = request;
  const reason = failure.status?.message ?? failure.transportMessage ?? '';
  const object = objectLabel(request);
  switch (failure.code) {
    case undefined:
      return new ServiceUnavailableError(
        `Kubernetes cluster "${cluster}" did not answer the ${verb} of ${object}: ${reason}`,
      );
    case 401:
      return new AuthenticationError(
        `Kubernetes cluster "${cluster}" rejected the backend's credentials (401 Unauthorized) on the ${verb} of ${object}; check the cluster's serviceAccountToken or kubeconfig user`,
      );
    case 403:
      return new NotAllowedError(
        `Kubernetes cluster "${cluster}" forbids the backend to ${verb} ${resourceName(
          type,
          subresource,
        )} in namespace ${namespace} (403 Forbidden): its service account lacks the RBAC permission (verb "${verb}" on resource "${
          subresource ? `${type.plural}/${subresource}` : type.plural
        }" in API group "${type.group}"). ${reason}`,
      );
    case 404:
      // A missing object's Status names it; a resource type nobody serves has empty details.
      if (failure.status?.details?.name) {
        return new NotFoundError(
          `${object} does not exist in Kubernetes cluster "${cluster}": ${reason}`,
        );
      }
      return new NotFoundError(
        `Kubernetes cluster "${cluster}" does not serve ${apiVersionOf(type)} ${
          type.plural
        } (is the CRD installed in this version?); the ${verb} of ${object} answered 404: ${reason}`,
      );
    case 409:
      return new ConflictError(
        failure.status?.reason === 'AlreadyExists'
          ? `${object} already exists in Kubernetes cluster "${cluster}": ${reason}`
          : `${object} in Kubernetes cluster "${cluster}" kept changing while the canary engine wrote it (409 Conflict): ${reason}`,
      );
    case 400:
    case 415:
    case 422:
      return new InputError(
        `Kubernetes cluster "${cluster}" rejected the ${verb} of ${object} (${failure.code}): ${reason}`,
      );
    default:
      return new ServiceUnavailableError(
        `Kubernetes cluster "${cluster}" answered ${failure.code} to the ${verb} of ${object}: ${reason}`,
      );
  }
}
