import type { Server } from 'node:http';

/** Every demo server listens on this address, and only on it. */
export const LOOPBACK = '127.0.0.1';

/** Starts `server` on `LOOPBACK:port` (0 takes a free port). */
export function listenOnLoopback(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
