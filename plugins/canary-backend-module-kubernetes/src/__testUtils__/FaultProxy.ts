import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** What the proxy answers instead of forwarding a request. */
export type Fault =
  | { status: 409 | 429 | 500 | 503; retryAfterSeconds?: number }
  | { hang: true }
  /** Answers 200 with an empty object without forwarding: a write that never lands. */
  | { swallow: true };

/** A request the proxy decides about. */
export interface ProxiedRequest {
  method: string;
  path: string;
}

const REASONS: Record<number, string> = {
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/**
 * A plain-HTTP proxy on 127.0.0.1 in front of an API server (the fake or a real one), which answers
 * chosen requests with faults instead of forwarding them: 409 Conflict, 429 with Retry-After,
 * 500/503 (with kube-apiserver-like Status bodies), no answer at all (for timeouts), or a 200
 * that was never forwarded (a lost write). Lets the
 * same fault tests run against both servers.
 */
export class FaultProxy {
  private decide: (request: ProxiedRequest) => Fault | undefined = () =>
    undefined;
  /** How many requests were answered with a fault. */
  injected = 0;

  private constructor(
    private readonly server: http.Server,
    private readonly upstream: URL,
    private readonly ca: string | undefined,
  ) {}

  static async start(upstream: {
    url: string;
    ca?: string;
  }): Promise<FaultProxy> {
    const server = http.createServer();
    const proxy = new FaultProxy(server, new URL(upstream.url), upstream.ca);
    server.on('request', (req, res) => proxy.handle(req, res));
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** From now on, answers requests for which `decide` returns a fault with that fault. */
  inject(decide: (request: ProxiedRequest) => Fault | undefined) {
    this.decide = decide;
  }

  /** Forwards everything again. */
  clear() {
    this.decide = () => undefined;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const fault = this.decide({ method: req.method!, path: req.url! });
    if (fault) {
      this.injected += 1;
      req.resume();
      if ('hang' in fault) return; // the client's timeout ends it
      if ('swallow' in fault) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{}');
        return;
      }
      res.writeHead(fault.status, {
        'Content-Type': 'application/json',
        ...(fault.retryAfterSeconds !== undefined && {
          'Retry-After': String(fault.retryAfterSeconds),
        }),
      });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `injected ${fault.status} for ${req.method} ${req.url}`,
          reason: REASONS[fault.status],
          details: fault.status === 409 ? { name: 'injected' } : {},
          code: fault.status,
        }),
      );
      return;
    }
    const transport = this.upstream.protocol === 'https:' ? https : http;
    const upstreamRequest = transport.request(
      {
        hostname: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.upstream.host },
        ca: this.ca,
      },
      upstreamResponse => {
        res.writeHead(upstreamResponse.statusCode!, upstreamResponse.headers);
        upstreamResponse.pipe(res);
      },
    );
    upstreamRequest.on('error', error => {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`proxy: ${error.message}`);
    });
    req.pipe(upstreamRequest);
  }
}
