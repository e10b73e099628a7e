import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ResponseError,
  isError,
} from '@backstage/errors';
import {
  AuditEvent,
  Page,
  Phase,
  Rollout,
} from '@canary-release/backstage-plugin-canary-common';

/** Phases a rollout enters when it will not succeed. */
const UNSUCCESSFUL: Phase[] = ['RollingBack', 'Failed', 'Aborted'];

/** A failure worth another try while waiting: the canary backend is unreachable or failing. */
export class TransientError extends Error {}

/** The canary backend's routes that the action calls, as the initiating user. */
export class CanaryApi {
  constructor(
    private readonly auth: AuthService,
    private readonly discovery: DiscoveryService,
    private readonly credentials: BackstageCredentials,
  ) {}

  launch(body: object): Promise<Rollout> {
    return this.call('/rollouts', 'The canary API refused the launch', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  get(id: string, signal?: AbortSignal): Promise<Rollout> {
    return this.call(
      `/rollouts/${encodeURIComponent(id)}`,
      `Cannot read rollout ${id}`,
      { signal },
    );
  }

  /** The reason of the last event that turned the rollout away from success, if any. */
  async whyItEnded(id: string): Promise<string | undefined> {
    let why: string | undefined;
    let cursor: string | undefined;
    do {
      const page: Page<AuditEvent> = await this.call(
        `/audit?rolloutId=${encodeURIComponent(id)}&limit=1000${
          cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
        }`,
        `Cannot read the audit trail of rollout ${id}`,
        {},
      );
      for (const event of page.items) {
        if (
          event.phaseAfter !== event.phaseBefore &&
          UNSUCCESSFUL.includes(event.phaseAfter)
        ) {
          why = `${event.reason} (${event.action} by ${event.actor})`;
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
    return why;
  }

  private async call<T = Rollout>(
    path: string,
    what: string,
    init: RequestInit,
  ): Promise<T> {
    const { token } = await this.auth.getPluginRequestToken({
      onBehalfOf: this.credentials,
      targetPluginId: 'canary',
    });
    const baseUrl = await this.discovery.getBaseUrl('canary');
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        ...init,
        headers: { ...init.headers, Authorization: `Bearer ${token}` },
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new TransientError(
        `${what}: ${isError(error) ? error.message : String(error)}`,
      );
    }
    if (!response.ok) throw await apiError(response, what);
    return (await response.json()) as T;
  }
}

/** The API's error as a typed error that says what the canary backend answered. */
async function apiError(response: Response, what: string): Promise<Error> {
  const { cause } = await ResponseError.fromResponse(response);
  const message = `${what}: ${cause.message} (HTTP ${response.status})`;
  switch (response.status) {
    case 400:
      return new InputError(message);
    case 401:
      return new AuthenticationError(message);
    case 403:
      return new NotAllowedError(message);
    case 404:
      return new NotFoundError(message);
    case 409:
      return new ConflictError(message);
    default:
      return response.status >= 500
        ? new TransientError(message)
        : new Error(message);
  }
}
