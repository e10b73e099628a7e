import http from 'node:http';

/** One answer as the tests look at it. */
export interface TestResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Milliseconds from sending to the end of the body. */
  ms: number;
}

/** Sends one GET to `127.0.0.1:port`. */
export function get(
  port: number,
  agent: http.Agent,
  headers: http.OutgoingHttpHeaders = {},
): Promise<TestResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/', agent, headers },
      res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', chunk => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
  });
}

/** Sends `count` GETs at once (the agent bounds the concurrency) and waits for every answer. */
export function getMany(
  port: number,
  count: number,
  agent: http.Agent,
  headers: http.OutgoingHttpHeaders = {},
): Promise<TestResponse[]> {
  return Promise.all(
    Array.from({ length: count }, () => get(port, agent, headers)),
  );
}

/** A keep-alive agent for the tests; destroy it at the end. */
export function testAgent(maxSockets = 50): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** The port of a server that was just closed: connecting to it fails. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise(resolve => server.close(resolve));
  return port;
}

/** Counts of the process's active TCP servers, sockets and timers, to check that nothing leaked. */
export function activeHandles(): {
  servers: number;
  sockets: number;
  timers: number;
} {
  const resources = process.getActiveResourcesInfo();
  return {
    servers: resources.filter(r => r === 'TCPServerWrap').length,
    sockets: resources.filter(r => r === 'TCPSocketWrap').length,
    timers: resources.filter(r => r === 'Timeout').length,
  };
}

/** Waits until `condition` holds, polling every 10 ms, failing after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 3000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error('Timed out waiting for a condition');
    }
    await sleep(10);
  }
}
