import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake received, with its form body parsed. */
export interface ReceivedQuery {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  form: Record<string, string>;
}

/** What the fake answers: a status and a body (an object is sent as JSON). */
export interface FakeAnswer {
  status?: number;
  body: unknown;
  /** Milliseconds to wait before answering. */
  delayMs?: number;
  headers?: Record<string, string>;
}

/** Answers a query; the default answers every query with an empty vector. */
export type FakeHandler = (query: ReceivedQuery) => FakeAnswer;

/** A successful instant-query answer holding `result` as a vector. */
export function vector(
  result: Array<{ labels?: Record<string, string>; value: string }>,
): FakeAnswer {
  return {
    body: {
      status: 'success',
      data: {
        resultType: 'vector',
        result: result.map(({ labels = {}, value }) => ({
          metric: labels,
          value: [1700000000, value],
        })),
      },
    },
  };
}

/**
 * A tiny stand-in for Prometheus' HTTP API on 127.0.0.1: records every request and answers what
 * `handler` says.
 */
export class FakePrometheus {
  readonly received: ReceivedQuery[] = [];
  handler: FakeHandler = () => vector([]);
  private readonly delayed = new Set<NodeJS.Timeout>();
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', chunk => {
      body += chunk;
    });
    req.on('end', () => {
      const query: ReceivedQuery = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        form: Object.fromEntries(new URLSearchParams(body)),
      };
      this.received.push(query);
      const answer = this.handler(query);
      const send = () => {
        if (res.destroyed) return;
        const text =
          typeof answer.body === 'string'
            ? answer.body
            : JSON.stringify(answer.body);
        res.writeHead(answer.status ?? 200, {
          'content-type':
            typeof answer.body === 'string' ? 'text/html' : 'application/json',
          ...answer.headers,
        });
        res.end(text);
      };
      if (answer.delayMs) {
        const timer = setTimeout(() => {
          this.delayed.delete(timer);
          send();
        }, answer.delayMs);
        this.delayed.add(timer);
      } else {
        send();
      }
    });
  });

  /** Starts listening on a free port of 127.0.0.1. */
  static async start(): Promise<FakePrometheus> {
    const fake = new FakePrometheus();
    await new Promise<void>(resolve =>
      fake.server.listen(0, '127.0.0.1', resolve),
    );
    return fake;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** The queries received, by their PromQL text. */
  get queries(): string[] {
    return this.received.map(r => r.form.query);
  }

  async close(): Promise<void> {
    this.delayed.forEach(timer => clearTimeout(timer));
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }
}

/** The port of a server that was just closed: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}
