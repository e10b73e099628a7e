import type {
  AuditEvent,
  Rollout,
  RolloutAnalysis,
} from '@canary-release/backstage-plugin-canary-common';

/** The scheduler's view of the engine's tick task, from one backend. */
export interface TickTaskState {
  settings: { cadence: string; timeoutAfterDuration: string };
  /** From the database: `running` while any replica holds the tick's lock. */
  taskState: { status: 'running' | 'idle'; startedAt?: string } | null;
  /** This backend's own worker: `running` while it runs a tick. */
  workerState: { status: string } | null;
}

/**
 * The canary routes a harness uses, through plain HTTP as any client would. Calls throw while the
 * backend is down; callers that poll through restarts catch that.
 */
export class CanaryApi {
  constructor(private readonly api: string) {}

  async launch(entityRef: string, canaryVersion: string): Promise<Rollout> {
    return this.request('POST', '/rollouts', { entityRef, canaryVersion });
  }

  async rollout(id: string): Promise<Rollout> {
    return this.request('GET', `/rollouts/${id}`);
  }

  /** Every rollout, all pages. */
  async rollouts(): Promise<Rollout[]> {
    return this.all<Rollout>('/rollouts?limit=200');
  }

  /** The whole audit trail, oldest first, all pages. */
  async audit(): Promise<AuditEvent[]> {
    return this.all<AuditEvent>('/audit?limit=1000');
  }

  /** The whole chain from its start (up to 10,000 events, which a harness run stays under). */
  async verifyAudit(): Promise<{
    ok: boolean;
    complete: boolean;
    checked: number;
  }> {
    return this.request('GET', '/audit/verify?full=true');
  }

  async analysis(id: string): Promise<RolloutAnalysis> {
    return this.request('GET', `/rollouts/${id}/analysis`);
  }

  /** The scheduler's state of `canary-engine-tick` (Backstage's scheduler routes). */
  async tickTask(): Promise<TickTaskState> {
    const { tasks } = await this.request(
      'GET',
      '/.backstage/scheduler/v1/tasks',
    );
    const task = tasks.find((t: any) => t.taskId === 'canary-engine-tick');
    if (!task) throw new Error('No canary-engine-tick task');
    return task;
  }

  private async all<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request(
        'GET',
        cursor ? `${path}&cursor=${encodeURIComponent(cursor)}` : path,
      );
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  private async request(method: string, path: string, body?: unknown) {
    const res = await fetch(`${this.api}${path}`, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) {
      throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    }
    return res.json();
  }
}
