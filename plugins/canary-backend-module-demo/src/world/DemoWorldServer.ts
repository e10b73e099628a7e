import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  InputError,
  NotFoundError,
  isError,
  serializeError,
} from '@backstage/errors';
import type {
  Arm,
  RolloutTarget,
  Weights,
} from '@canary-release/backstage-plugin-canary-common';
import type { WorkloadState } from '@canary-release/backstage-plugin-canary-node';
import type { DemoEnvironment } from '../DemoEnvironment';
import { LOOPBACK, listenOnLoopback } from '../loopback';
import {
  DEMO_KIND,
  DemoMetricsProvider,
  DemoTrafficRouter,
  DemoWorkloadController,
} from '../providers';

/** Request bodies are a few small fields; anything larger is refused. */
const MAX_BODY_BYTES = 16 * 1024;

/** One workload as `GET /workloads` lists it. */
export interface DemoWorldWorkload {
  namespace: string;
  name: string;
  /** The router's address: the demo service as its users see it. */
  url: string;
  weights: Weights;
  state: WorkloadState;
}

const STATUS_BY_ERROR: Record<string, number> = {
  InputError: 400,
  NotFoundError: 404,
};

/**
 * The demo world over HTTP on loopback: the demo's router, workload controller and metrics
 * provider as routes, so that several backend replicas can act on one world
 * (`canary.demo.remote`) and tests can read the world from outside a backend. No authentication:
 * it is a demo, and it listens on 127.0.0.1 only.
 *
 * - `GET /workloads`: every workload with its weights and deployed versions
 * - `GET /workloads/:namespace/:name`: `{ weights, state }`
 * - `PUT /workloads/:namespace/:name/weights` `{ stable, canary }`
 * - `PUT /workloads/:namespace/:name/canary` `{ version }`, `DELETE .../canary`
 * - `PUT /workloads/:namespace/:name/stable` `{ version }`
 * - `GET /workloads/:namespace/:name/samples/:arm?start=<ms>&end=<ms>`
 *
 * Errors answer in Backstage's error body format: 400 for invalid input, 404 for an unknown
 * workload or route.
 */
export class DemoWorldServer {
  private readonly server: http.Server;
  private readonly router: DemoTrafficRouter;
  private readonly workload: DemoWorkloadController;
  private readonly metrics: DemoMetricsProvider;

  /** Serves `environment` on `127.0.0.1:port` (0 takes a free port). */
  static async start(
    environment: DemoEnvironment,
    port = 0,
  ): Promise<DemoWorldServer> {
    const server = new DemoWorldServer(environment);
    await listenOnLoopback(server.server, port);
    return server;
  }

  private constructor(private readonly environment: DemoEnvironment) {
    this.router = new DemoTrafficRouter(environment);
    this.workload = new DemoWorkloadController(environment);
    this.metrics = new DemoMetricsProvider(environment);
    this.server = http.createServer((req, res) => {
      this.handle(req).then(
        ({ status, body }) => send(res, status, body),
        error => sendError(req, res, error),
      );
    });
  }

  /** The base URL, e.g. for `canary.demo.remote`. */
  get url(): string {
    return `http://${LOOPBACK}:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops listening and closes every connection. */
  close(): Promise<void> {
    return new Promise(resolve => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(
    req: http.IncomingMessage,
  ): Promise<{ status: number; body?: unknown }> {
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}`);
    const parts = url.pathname.split('/').filter(Boolean);
    const route = `${req.method} /${parts
      .map((part, i) => (i === 1 || i === 2 ? '*' : part))
      .join('/')}`;
    if (route === 'GET /workloads') {
      return { status: 200, body: { items: await this.listWorkloads() } };
    }
    if (parts[0] !== 'workloads' || parts.length < 3) {
      throw new NotFoundError(`No route ${req.method} ${url.pathname}`);
    }
    const target = demoTarget(decode(parts[1]), decode(parts[2]));
    switch (route) {
      case 'GET /workloads/*/*':
        return { status: 200, body: await this.describe(target) };
      case 'PUT /workloads/*/*/weights':
        await this.router.setWeights(target, await readJson(req));
        return { status: 204 };
      case 'PUT /workloads/*/*/canary': {
        const { version } = await readJson(req);
        await this.workload.deployCanary(target, version);
        return { status: 204 };
      }
      case 'DELETE /workloads/*/*/canary':
        await this.workload.removeCanary(target);
        return { status: 204 };
      case 'PUT /workloads/*/*/stable': {
        const { version } = await readJson(req);
        await this.workload.setStableVersion(target, version);
        return { status: 204 };
      }
      case 'GET /workloads/*/*/samples/baseline':
      case 'GET /workloads/*/*/samples/canary':
        return {
          status: 200,
          body: await this.metrics.sample(
            target,
            parts[4] as Arm,
            readWindow(url.searchParams),
          ),
        };
      default:
        throw new NotFoundError(`No route ${req.method} ${url.pathname}`);
    }
  }

  private async listWorkloads(): Promise<DemoWorldWorkload[]> {
    return Promise.all(
      this.environment.workloads.map(async w => {
        const [namespace, name] = w.id.split('/');
        return {
          namespace,
          name,
          url: w.url,
          ...(await this.describe(demoTarget(namespace, name))),
        };
      }),
    );
  }

  private async describe(
    target: RolloutTarget,
  ): Promise<{ weights: Weights; state: WorkloadState }> {
    const [weights, state] = await Promise.all([
      this.router.getWeights(target),
      this.workload.getState(target),
    ]);
    return { weights, state };
  }
}

/** A target of the demo providers: they find workloads by namespace and name only. */
function demoTarget(namespace: string, name: string): RolloutTarget {
  return {
    namespace,
    name,
    router: DEMO_KIND,
    metrics: DEMO_KIND,
    workload: DEMO_KIND,
  };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InputError(`Invalid path segment ${segment}`);
  }
}

function readWindow(params: URLSearchParams): { start: Date; end: Date } {
  const [start, end] = ['start', 'end'].map(key => Number(params.get(key)));
  if (!Number.isFinite(start) || !Number.isFinite(end) || start > end) {
    throw new InputError(
      `Invalid sample window: start and end must be times in milliseconds, start <= end (got ${params.get(
        'start',
      )}, ${params.get('end')})`,
    );
  }
  return { start: new Date(start), end: new Date(end) };
}

async function readJson(req: http.IncomingMessage): Promise<any> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new InputError(`Request body over ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new Error('not an object');
    }
    return body;
  } catch (error) {
    throw new InputError(`Request body must be a JSON object: ${error}`);
  }
}

function send(res: http.ServerResponse, status: number, body?: unknown) {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    })
    .end(text);
}

function sendError(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  error: unknown,
) {
  const err = isError(error) ? error : new Error(String(error));
  const statusCode = STATUS_BY_ERROR[err.name] ?? 500;
  // A body left unread would keep the connection busy.
  req.resume();
  send(res, statusCode, {
    error: serializeError(err),
    request: { method: req.method, url: req.url },
    response: { statusCode },
  });
}
