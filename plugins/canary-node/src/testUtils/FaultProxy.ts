import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does with a request instead of (or on top of) forwarding it. @public */
export type Fault =
  /**
   * Answers this status without forwarding. The body is a Kubernetes `Status` unless given (an
   * object is sent as JSON, a string as it is, with `contentType`, default `text/plain`).
   */
  | {
      status: number;
      retryAfterSeconds?: number;
      body?: string | object;
      contentType?: string;
    }
  /** Never answers: the client's timeout ends it. */
  | { hang: true }
  /** Closes the connection without an answer. */
  | { reset: true }
  /** Answers 200 with an empty object without forwarding: a write that never lands. */
  | { swallow: true }
  /** Forwards after a delay: a slow server. */
  | { delayMs: number }
  /** Forwards, and replaces the body of the answer: wrong values, a partial result. */
  | { rewrite: (body: string) => string };

/** A request the proxy decides about. @public */
export interface ProxiedRequest {
  method: string;
  path: string;
  /** The request's body (e.g. a Prometheus query form), as text. */
  body: string;
}

/** A request the proxy saw, when, and whether it was answered with a fault. @public */
export interface ProxiedRequestRecord {
  method: string;
  path: string;
  at: number;
  faulted: boolean;
}

const REASONS: Record<number, string> = {
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

function kubernetesStatus(status: number, req: http.IncomingMessage) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `injected ${status} for ${req.method} ${req.url}`,
    reason: REASONS[status] ?? 'InternalError',
    details: status === 409 ? { name: 'injected' } : {},
    code: status,
  };
}

/**
 * A plain-HTTP proxy on 127.0.0.1 in front of a real server (a kube-apiserver, Prometheus) or a
 * fake one, which answers chosen requests with faults: an error status (409, 429 with
 * Retry-After, 500, 503, with any body), no answer at all (for timeouts), a closed connection, a
 * slow answer, an answer whose body is rewritten, or a 200 for a write that was never forwarded.
 * `down()` stops it listening (connections are refused) and `up()` brings it back on the same
 * port. Lets the same fault tests run against the fakes and the real servers.
 *
 * @public
 */
export class FaultProxy {
  private decide: (request: ProxiedRequest) => Fault | undefined = () =>
    undefined;
  private readonly sockets = new Set<Socket>();
  private readonly delayed = new Set<NodeJS.Timeout>();
  private port = 0;
  /** How many requests were answered with a fault. */
  injected = 0;
  /** Every request, in the order received. */
  readonly log: ProxiedRequestRecord[] = [];

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
    server.on('connection', socket => {
      proxy.sockets.add(socket);
      socket.on('close', () => proxy.sockets.delete(socket));
    });
    await proxy.up();
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** From now on, answers requests for which `decide` returns a fault with that fault. */
  inject(decide: (request: ProxiedRequest) => Fault | undefined) {
    this.decide = decide;
  }

  /** Forwards everything again. */
  clear() {
    this.decide = () => undefined;
  }

  /** Stops listening and drops every connection: the server is down, connections are refused. */
  async down(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise(resolve => this.server.close(resolve));
    this.delayed.forEach(timer => clearTimeout(timer));
    this.delayed.clear();
    this.sockets.forEach(socket => socket.destroy());
    await closed;
  }

  /** Listens again, on the same port as before. */
  async up(): Promise<void> {
    if (this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await this.down();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const request = {
        method: req.method!,
        path: req.url!,
        body: body.toString('utf8'),
      };
      const fault = this.decide(request);
      this.log.push({
        method: request.method,
        path: request.path,
        at: Date.now(),
        faulted: fault !== undefined,
      });
      if (!fault) {
        this.forward(req, body, res);
        return;
      }
      this.injected += 1;
      if ('delayMs' in fault) {
        const timer = setTimeout(() => {
          this.delayed.delete(timer);
          this.forward(req, body, res);
        }, fault.delayMs);
        this.delayed.add(timer);
      } else if ('rewrite' in fault) {
        this.forward(req, body, res, fault.rewrite);
      } else {
        this.answer(fault, req, res);
      }
    });
  }

  private answer(
    fault: Exclude<Fault, { delayMs: number } | { rewrite: unknown }>,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) {
    if ('hang' in fault) return;
    if ('reset' in fault) {
      req.socket.destroy();
      return;
    }
    if ('swallow' in fault) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
      return;
    }
    const body = fault.body ?? kubernetesStatus(fault.status, req);
    res.writeHead(fault.status, {
      'Content-Type':
        typeof body === 'string'
          ? fault.contentType ?? 'text/plain'
          : 'application/json',
      ...(fault.retryAfterSeconds !== undefined && {
        'Retry-After': String(fault.retryAfterSeconds),
      }),
    });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  private forward(
    req: http.IncomingMessage,
    body: Buffer,
    res: http.ServerResponse,
    rewrite?: (body: string) => string,
  ) {
    if (res.destroyed) return;
    const transport = this.upstream.protocol === 'https:' ? https : http;
    const headers = { ...req.headers, host: this.upstream.host };
    // A body to rewrite must come back uncompressed.
    if (rewrite) delete headers['accept-encoding'];
    const upstreamRequest = transport.request(
      {
        hostname: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: req.url,
        headers,
        ca: this.ca,
      },
      upstreamResponse => {
        if (!rewrite) {
          res.writeHead(upstreamResponse.statusCode!, upstreamResponse.headers);
          upstreamResponse.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        upstreamResponse.on('data', chunk => chunks.push(chunk));
        upstreamResponse.on('end', () => {
          const text = rewrite(Buffer.concat(chunks).toString('utf8'));
          const { 'content-length': _, ...rest } = upstreamResponse.headers;
          res.writeHead(upstreamResponse.statusCode!, {
            ...rest,
            'content-length': Buffer.byteLength(text),
          });
          res.end(text);
        });
      },
    );
    upstreamRequest.on('error', error => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`proxy: ${error.message}`);
    });
    upstreamRequest.end(body);
  }
}
