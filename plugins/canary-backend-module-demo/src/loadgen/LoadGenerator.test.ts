import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep, waitFor } from '../__testUtils__/http';
import { LoadGenerator } from './LoadGenerator';

describe('LoadGenerator', () => {
  let server: http.Server;
  let port: number;
  let received: number;
  let answer: boolean;

  beforeEach(async () => {
    received = 0;
    answer = true;
    server = http.createServer((req, res) => {
      received += 1;
      req.resume();
      if (answer) {
        res.end('ok');
      }
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    if (server.listening) {
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    }
  });

  it('sends requests at the configured rate and stops', async () => {
    const load = new LoadGenerator({ port, requestsPerSecond: 200 });
    load.start();
    await sleep(600);
    load.stop();
    const { sent, answered, failed, skipped } = load.stats;
    // About 120 in 600 ms; tolerant bounds for a busy machine.
    expect(sent).toBeGreaterThan(40);
    expect(sent).toBeLessThan(160);
    expect(answered + failed).toBeLessThanOrEqual(sent);
    expect(answered).toBeGreaterThan(30);
    expect(skipped).toBe(0);
    // Requests sent before the stop may still be arriving: let them land, then nothing more.
    await sleep(100);
    const after = received;
    await sleep(200);
    expect(received).toBe(after);
    expect(load.stats.sent).toBe(sent);
  });

  it('keeps at most maxInFlight requests in flight and aborts them on stop', async () => {
    answer = false;
    const load = new LoadGenerator({
      port,
      requestsPerSecond: 500,
      maxInFlight: 5,
    });
    load.start();
    await waitFor(() => load.stats.skipped > 10);
    expect(load.stats.sent).toBe(5);
    load.stop();
    await waitFor(() => load.stats.failed === 5);
    // The server closes only once every connection is gone: stop closed them all.
    await new Promise(resolve => server.close(resolve));
  });

  it('sends nothing at a rate of 0', async () => {
    const load = new LoadGenerator({ port, requestsPerSecond: 0 });
    load.start();
    await sleep(100);
    load.stop();
    expect(load.stats.sent).toBe(0);
  });
});
