import { ResponseError } from '@backstage/errors';
import type {
  ArmSample,
  RolloutTarget,
  Weights,
} from '@canary-release/backstage-plugin-canary-common';
import type {
  MetricsProvider,
  SampleWindow,
  TrafficRouter,
  WorkloadController,
  WorkloadState,
} from '@canary-release/backstage-plugin-canary-node';

/** A call to the world that takes longer fails; the engine retries on its next tick. */
const REQUEST_TIMEOUT_MS = 5000;

/**
 * The demo providers of a world served by another process (a {@link DemoWorldServer}), so that
 * several backend replicas act on one world. Failures surface as errors, which the engine treats
 * like any provider failure (retry on the next tick, a look without data).
 */
export class RemoteDemoWorld
  implements TrafficRouter, WorkloadController, MetricsProvider
{
  constructor(private readonly baseUrl: string) {}

  async getWeights(target: RolloutTarget): Promise<Weights> {
    return (await this.request('GET', this.path(target))).weights;
  }

  async setWeights(target: RolloutTarget, weights: Weights): Promise<void> {
    await this.request('PUT', this.path(target, 'weights'), weights);
  }

  async getState(target: RolloutTarget): Promise<WorkloadState> {
    return (await this.request('GET', this.path(target))).state;
  }

  async deployCanary(target: RolloutTarget, version: string): Promise<void> {
    await this.request('PUT', this.path(target, 'canary'), { version });
  }

  async removeCanary(target: RolloutTarget): Promise<void> {
    await this.request('DELETE', this.path(target, 'canary'));
  }

  async setStableVersion(
    target: RolloutTarget,
    version: string,
  ): Promise<void> {
    await this.request('PUT', this.path(target, 'stable'), { version });
  }

  async sample(
    target: RolloutTarget,
    arm: 'baseline' | 'canary',
    window: SampleWindow,
  ): Promise<ArmSample> {
    const query = new URLSearchParams({
      start: String(window.start.getTime()),
      end: String(window.end.getTime()),
    });
    return this.request('GET', `${this.path(target, 'samples', arm)}?${query}`);
  }

  private path(target: RolloutTarget, ...rest: string[]): string {
    return ['workloads', target.namespace || 'default', target.name, ...rest]
      .map(encodeURIComponent)
      .join('/');
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<any> {
    const response = await fetch(
      `${this.baseUrl.replace(/\/+$/, '')}/${path}`,
      {
        method,
        headers:
          body === undefined
            ? undefined
            : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      },
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response.status === 204 ? undefined : response.json();
  }
}
