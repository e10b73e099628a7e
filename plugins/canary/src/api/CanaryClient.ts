import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  AuditEvent,
  Page,
  Rollout,
  RolloutAction,
  RolloutAnalysis,
} from '@canary-release/backstage-plugin-canary-common';
import type {
  CanaryApi,
  LaunchRolloutRequest,
  ListAuditEventsRequest,
  ListRolloutsRequest,
  StrategyCatalog,
} from './CanaryApi';

type Query = Record<string, string | number | undefined>;

/**
 * The {@link CanaryApi} over HTTP, using the app's discovery and fetch APIs (which add the
 * user's credentials).
 *
 * @public
 */
export class CanaryClient implements CanaryApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async listRollouts(
    request: ListRolloutsRequest = {},
  ): Promise<Page<Rollout>> {
    return this.request('/rollouts', { query: { ...request } });
  }

  async getRollout(id: string): Promise<Rollout> {
    return this.request(`/rollouts/${encodeURIComponent(id)}`);
  }

  async launchRollout(request: LaunchRolloutRequest): Promise<Rollout> {
    return this.request('/rollouts', { method: 'POST', body: request });
  }

  async performAction(
    id: string,
    action: RolloutAction,
    reason?: string,
  ): Promise<Rollout> {
    return this.request(`/rollouts/${encodeURIComponent(id)}/actions`, {
      method: 'POST',
      body: { action, reason },
    });
  }

  async getAnalysis(id: string): Promise<RolloutAnalysis> {
    return this.request(`/rollouts/${encodeURIComponent(id)}/analysis`);
  }

  async listAuditEvents(
    request: ListAuditEventsRequest = {},
  ): Promise<Page<AuditEvent>> {
    return this.request('/audit', { query: { ...request, format: 'json' } });
  }

  async getStrategies(): Promise<StrategyCatalog> {
    return this.request('/strategies');
  }

  private async request<T>(
    path: string,
    options: { method?: 'GET' | 'POST'; query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl('canary');
    const response = await this.fetchApi.fetch(
      `${baseUrl}${path}${toQueryString(options.query)}`,
      {
        method: options.method ?? 'GET',
        ...(options.body !== undefined && {
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(options.body),
        }),
      },
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}

function toQueryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') {
      params.set(key, String(value));
    }
  }
  const search = params.toString();
  return search ? `?${search}` : '';
}
