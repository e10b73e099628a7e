import http from 'node:http';
import { LOOPBACK } from '../loopback';

/** Options of a {@link LoadGenerator}. */
export interface LoadGeneratorOptions {
  /** The loopback port to send requests to. */
  port: number;
  /** Target rate. */
  requestsPerSecond: number;
  /** At most this many requests in flight; beyond it, requests are skipped. Default 200. */
  maxInFlight?: number;
  /** How often requests are sent, in milliseconds. Default 20. */
  tickMs?: number;
  /** Give up on a request after this long, in milliseconds. Default 30 000. */
  timeoutMs?: number;
}

/** What a {@link LoadGenerator} has done so far. */
export interface LoadGeneratorStats {
  /** Requests sent. */
  sent: number;
  /** Requests answered, whatever the status. */
  answered: number;
  /** Requests without an answer (connection failure, timeout, stop). */
  failed: number;
  /** Requests not sent because `maxInFlight` were already in flight. */
  skipped: number;
}

/**
 * Sends GET requests to a loopback port at a steady rate over keep-alive connections, like the
 * users of the demo service. Bounded: never more than `maxInFlight` requests at once, and a rate
 * that fell behind (a stalled event loop) does not turn into a burst.
 */
export class LoadGenerator {
  private readonly agent: http.Agent;
  private readonly maxInFlight: number;
  private readonly inFlight = new Set<http.ClientRequest>();
  private readonly counts: LoadGeneratorStats = {
    sent: 0,
    answered: 0,
    failed: 0,
    skipped: 0,
  };
  private timer: NodeJS.Timeout | undefined;
  private credit = 0;
  private lastTick = 0;

  constructor(private readonly options: LoadGeneratorOptions) {
    this.maxInFlight = options.maxInFlight ?? 200;
    this.agent = new http.Agent({
      keepAlive: true,
      maxSockets: this.maxInFlight,
    });
  }

  /** Starts sending; a no-op when running or when the rate is 0. */
  start(): void {
    if (this.timer || this.options.requestsPerSecond <= 0) {
      return;
    }
    this.lastTick = performance.now();
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 20);
  }

  /** Stops sending, aborts requests in flight and closes the connections. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const req of this.inFlight) {
      req.destroy();
    }
    this.agent.destroy();
  }

  /** A snapshot of the counts so far. */
  get stats(): LoadGeneratorStats {
    return { ...this.counts };
  }

  private tick(): void {
    const now = performance.now();
    const rate = this.options.requestsPerSecond;
    this.credit = Math.min(
      this.credit + (rate * (now - this.lastTick)) / 1000,
      Math.max(rate / 10, 1),
    );
    this.lastTick = now;
    while (this.credit >= 1) {
      this.credit -= 1;
      if (this.inFlight.size >= this.maxInFlight) {
        this.counts.skipped += 1;
      } else {
        this.send();
      }
    }
  }

  private send(): void {
    const req = http.get({
      host: LOOPBACK,
      port: this.options.port,
      path: '/',
      agent: this.agent,
      timeout: this.options.timeoutMs ?? 30_000,
    });
    this.counts.sent += 1;
    this.inFlight.add(req);
    let settled = false;
    const settle = (answered: boolean) => {
      if (!settled) {
        settled = true;
        this.inFlight.delete(req);
        this.counts[answered ? 'answered' : 'failed'] += 1;
      }
    };
    let response: http.IncomingMessage | undefined;
    req.on('timeout', () => req.destroy());
    req.on('error', () => settle(false));
    req.on('response', res => {
      response = res;
      res.on('error', () => settle(false));
      res.on('end', () => settle(true));
      res.resume();
    });
    req.on('close', () => settle(response?.complete === true));
  }
}
