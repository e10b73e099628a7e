import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  Arm,
  Weights,
} from '@canary-release/backstage-plugin-canary-common';
import { LOOPBACK, listenOnLoopback } from '../loopback';
import { serverTimingSeconds } from '../serverTiming';
import type { RandomSource } from '@canary-release/backstage-plugin-canary-common';
import { assertValidWeights } from './weights';

/** A deployment the router forwards to. */
export interface Upstream {
  /** Its loopback port, once listening. */
  readonly port: number | undefined;
  /** Keep-alive pool for requests to it. */
  readonly agent: http.Agent;
  /** It answers requests: no traffic is sent to an upstream that does not. */
  readonly serving: boolean;
}

/** Where the router reports each request it forwarded. */
export type RequestObserver = (
  arm: Arm,
  error: boolean,
  latencySeconds: number,
) => void;

/** Options of a {@link WeightedRouter}. */
export interface WeightedRouterOptions {
  stable: Upstream;
  random: RandomSource;
  observe: RequestObserver;
  /** The loopback port to listen on; 0 (the default) takes a free one. */
  port?: number;
}

/** Hop-by-hop headers, which belong to one connection and are not forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

function endToEndHeaders(
  headers: http.IncomingHttpHeaders,
): http.OutgoingHttpHeaders {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)),
  );
}

/**
 * A weighted HTTP reverse proxy on loopback, standing in for an Istio VirtualService: each
 * request goes to the canary with probability `weights.canary / 100`, otherwise to stable. A
 * request with `x-canary: always` goes to the canary. Without a serving canary everything goes to
 * stable, whatever the weights say.
 *
 * Every forwarded request is reported to `observe` once it ends: its arm (`baseline` when stable
 * served it, `canary` when the canary did), whether it failed (5xx, or no answer at all, which the
 * client sees as 502) and its latency: the handling time the upstream reports in `Server-Timing`
 * (see serverTiming.ts), or, when it reports none or does not answer, the time the router waited.
 */
export class WeightedRouter {
  /** The canary deployment, when one exists. */
  canary: Upstream | undefined;
  /** The stable deployment. */
  stable: Upstream;
  private weights: Weights = { stable: 100, canary: 0 };
  private readonly server: http.Server;

  constructor(private readonly options: WeightedRouterOptions) {
    this.stable = options.stable;
    this.server = http.createServer((req, res) => this.forward(req, res));
  }

  /** Starts listening on loopback. */
  listen(): Promise<void> {
    return listenOnLoopback(this.server, this.options.port ?? 0);
  }

  /** The loopback port the router listens on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Sets the split; throws an `InputError` on weights outside 0-100 or not adding up to 100. */
  setWeights(weights: Weights): void {
    assertValidWeights(weights);
    this.weights = { stable: weights.stable, canary: weights.canary };
  }

  /** The split as last set (traffic still all goes to stable while no canary serves). */
  getWeights(): Weights {
    return { ...this.weights };
  }

  /** Stops listening and closes every connection. */
  close(): Promise<void> {
    return new Promise(resolve => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private pick(req: http.IncomingMessage): { arm: Arm; upstream: Upstream } {
    const canary = this.canary;
    if (canary?.serving) {
      if (
        req.headers['x-canary'] === 'always' ||
        this.options.random() * 100 < this.weights.canary
      ) {
        return { arm: 'canary', upstream: canary };
      }
    }
    return { arm: 'baseline', upstream: this.stable };
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const started = performance.now();
    const { arm, upstream } = this.pick(req);
    let reported = false;
    const report = (error: boolean, upstreamSeconds?: number) => {
      if (!reported) {
        reported = true;
        this.options.observe(
          arm,
          error,
          upstreamSeconds ?? (performance.now() - started) / 1000,
        );
      }
    };
    const fail = () => {
      report(true);
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `no answer from ${arm}` }));
      } else {
        res.destroy();
      }
    };

    if (upstream.port === undefined) {
      fail();
      return;
    }
    const upstreamReq = http.request({
      host: LOOPBACK,
      port: upstream.port,
      agent: upstream.agent,
      method: req.method,
      path: req.url,
      headers: endToEndHeaders(req.headers),
    });
    upstreamReq.on('error', fail);
    upstreamReq.on('response', upstreamRes => {
      const status = upstreamRes.statusCode ?? 502;
      res.writeHead(status, {
        ...endToEndHeaders(upstreamRes.headers),
        'x-canary-arm': arm,
      });
      upstreamRes.on('error', fail);
      upstreamRes.on('end', () =>
        report(
          status >= 500,
          serverTimingSeconds(upstreamRes.headers['server-timing']),
        ),
      );
      upstreamRes.on('close', () => {
        if (!upstreamRes.complete) {
          fail();
        }
      });
      upstreamRes.pipe(res);
    });
    req.pipe(upstreamReq);
  }
}
