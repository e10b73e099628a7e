import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RandomSource } from '@canary-release/backstage-plugin-canary-common';
import { listenOnLoopback } from '../loopback';
import { serverTiming } from '../serverTiming';
import {
  BehaviourResolver,
  behaviourAfter,
  sampleResponse,
} from './behaviours';

/** Options of a {@link DemoDeployment}. */
export interface DemoDeploymentOptions {
  /** Shown in responses, e.g. `demo-shop-canary`. */
  name: string;
  /** The version to run at first. */
  version: string;
  /** Serve `version` at once (the initial stable) instead of after `startupDelayMs`. */
  readyAtStart: boolean;
  /** How long a version takes to become ready after it is deployed. */
  startupDelayMs: number;
  /** How each version answers. */
  behaviours: BehaviourResolver;
  /** Draws latencies and errors. */
  random: RandomSource;
  /**
   * The clock a version's `regressAfterMs` is measured on, from the moment it becomes ready;
   * default `Date.now`.
   */
  now?: () => number;
}

/** How often a closing deployment checks whether its requests are done, in milliseconds. */
const DRAIN_POLL_MS = 10;

interface PendingResponse {
  timer: NodeJS.Timeout;
  res: http.ServerResponse;
}

/**
 * One version of the demo service behind one real HTTP server on loopback, like a Kubernetes
 * Deployment behind its Service. A new version rolls out like a rolling update: the version
 * served so far keeps answering until the new one is ready, `startupDelayMs` later. Before it ever
 * became ready the deployment serves nothing (`serving` is false) and answers 503.
 *
 * Each response waits out its simulated latency on a timer and fails with 500 at the version's
 * error rate. A version with `regressAfterMs` behaves healthy for that long after it became ready
 * here (a version rolled out again starts afresh, like new pods).
 */
export class DemoDeployment {
  /** Keep-alive connection pool for clients of this deployment (the router). */
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly server: http.Server;
  private readonly pending = new Set<PendingResponse>();
  private desiredVersion: string;
  private servingVersion: string | undefined;
  /** When (on `now`) `servingVersion` became ready. */
  private servingSince = 0;
  private readonly now: () => number;
  private readyTimer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  /** Until when (epoch milliseconds) a closing deployment waits for its requests. */
  private drainUntil = 0;

  constructor(private readonly options: DemoDeploymentOptions) {
    this.now = options.now ?? Date.now;
    this.desiredVersion = options.version;
    if (options.readyAtStart) {
      this.servingVersion = options.version;
      this.servingSince = this.now();
    }
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  /** Starts listening on a free loopback port; the version becomes ready after the delay. */
  start(): Promise<void> {
    if (!this.started) {
      this.started = listenOnLoopback(this.server, 0);
      if (this.servingVersion !== this.desiredVersion) {
        this.scheduleReady();
      }
    }
    return this.started;
  }

  /** The version deployed, ready or not. */
  get version(): string {
    return this.desiredVersion;
  }

  /** The deployed version serves requests. */
  get ready(): boolean {
    return this.servingVersion === this.desiredVersion && this.serving;
  }

  /** Some version (the deployed one, or the one before it during a rollout) serves requests. */
  get serving(): boolean {
    return this.servingVersion !== undefined && this.port !== undefined;
  }

  /** The loopback port, once listening. */
  get port(): number | undefined {
    const address = this.server.address() as AddressInfo | null;
    return address?.port;
  }

  /** Rolls out `version`; a no-op when it is already the deployed version. */
  rollTo(version: string): void {
    if (version === this.desiredVersion || this.closed) {
      return;
    }
    this.desiredVersion = version;
    this.scheduleReady();
  }

  /**
   * Stops serving at once, waits up to `graceMs` for requests in flight, then closes every
   * connection and the server. Idempotent; a later call with a shorter grace cuts the wait short.
   */
  close(graceMs: number): Promise<void> {
    this.drainUntil = this.closed
      ? Math.min(this.drainUntil, Date.now() + graceMs)
      : Date.now() + graceMs;
    if (!this.closed) {
      this.closed = this.shutdown();
    }
    return this.closed;
  }

  private scheduleReady(): void {
    clearTimeout(this.readyTimer);
    const version = this.desiredVersion;
    this.readyTimer = setTimeout(() => {
      this.readyTimer = undefined;
      this.servingVersion = version;
      this.servingSince = this.now();
    }, this.options.startupDelayMs);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    const version = this.servingVersion;
    if (version === undefined) {
      this.respond(res, 503, { error: `${this.options.name} is not ready` }, 0);
      return;
    }
    const behaviour = behaviourAfter(
      this.options.behaviours(version),
      this.now() - this.servingSince,
    );
    const { latencyMs, failed } = sampleResponse(
      behaviour,
      this.options.random,
    );
    const entry: PendingResponse = {
      res,
      timer: setTimeout(() => {
        this.pending.delete(entry);
        if (failed) {
          this.respond(
            res,
            500,
            { error: 'simulated failure', version },
            latencyMs,
          );
        } else {
          this.respond(
            res,
            200,
            { service: this.options.name, version },
            latencyMs,
          );
        }
      }, latencyMs),
    };
    this.pending.add(entry);
  }

  private respond(
    res: http.ServerResponse,
    status: number,
    body: Record<string, string>,
    durationMs: number,
  ): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      // The simulated service's own handling time, as its instrumentation would report it.
      'server-timing': serverTiming(durationMs),
    });
    res.end(text);
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.readyTimer);
    this.servingVersion = undefined;
    const listening = await this.started?.then(
      () => true,
      () => false,
    );
    if (listening) {
      await this.drain();
    }
    for (const { timer, res } of this.pending) {
      clearTimeout(timer);
      res.destroy();
    }
    this.pending.clear();
    this.agent.destroy();
    if (listening) {
      await new Promise<void>(resolve => {
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
    }
  }

  /**
   * Waits until no request is in flight, on the server or through the agent (a request the
   * router has sent that the server has not read yet), or until `drainUntil`. The server keeps
   * its connections meanwhile: closing an idle keep-alive connection could cut a request that is
   * just being sent on it.
   */
  private async drain(): Promise<void> {
    const busy = () =>
      this.pending.size > 0 ||
      Object.keys(this.agent.sockets).length > 0 ||
      Object.keys(this.agent.requests).length > 0;
    while (busy() && Date.now() < this.drainUntil) {
      await new Promise(resolve => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }
}
