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
  AuditExport,
  AuditFilter,
  CanaryApi,
  LaunchRolloutRequest,
  ListAuditEventsRequest,
  ListRolloutsRequest,
  StrategyCatalog,
} from './CanaryApi';

type Query = Record<string, string | number | undefined>;

interface RequestOptions {
  method?: 'GET' | 'POST';
  query?: Query;
  body?: unknown;
}

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
    const { phase, ...rest } = request;
    return this.request('/rollouts', {
      query: { ...rest, phase: [phase ?? []].flat().join(',') },
    });
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

  async exportAuditEvents(
    format: 'csv' | 'json',
    filter: AuditFilter = {},
  ): Promise<AuditExport> {
    // Fetched rather than linked: the backend wants the user's token, which only fetchApi adds.
    const response = await this.fetch('/audit/export', {
      query: { ...filter, format },
    });
    const disposition = response.headers.get('Content-Disposition') ?? '';
    return {
      blob: await response.blob(),
      filename:
        /filename="?([^";]+)"?/.exec(disposition)?.[1] ??
        `canary-audit.${format}`,
    };
  }

  async getStrategies(): Promise<StrategyCatalog> {
    return this.request('/strategies');
  }

  private async request<T>(
    path: string,
    options: RequestOptions = {},
  ): Promise<T> {
    const response = await this.fetch(path, options);
    return response.json();
  }

  /** Sends the request with the user's credentials; rejects on an error status. */
  private async fetch(
    path: string,
    options: RequestOptions = {},
  ): Promise<Response> {
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
    return response;
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
