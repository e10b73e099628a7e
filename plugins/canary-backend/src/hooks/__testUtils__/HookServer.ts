import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the server answers one request: a status, a status after a pause, or never. */
export type Answer = number | { status: number; delayMs: number } | 'hang';

export interface ReceivedCall {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

/**
 * A real HTTP server on 127.0.0.1 (an ephemeral port) standing in for webhook receivers: it
 * records every call and answers each path from a script, then with its default.
 */
export class HookServer {
  readonly calls: ReceivedCall[] = [];
  private readonly scripts = new Map<string, Answer[]>();
  private readonly defaults = new Map<string, Answer>();
  private server?: Server;

  static async start(): Promise<HookServer> {
    const hooks = new HookServer();
    await hooks.listen();
    return hooks;
  }

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Answers the next calls to `path` in this order, then with `then` (default 200). */
  script(path: string, answers: Answer[], then: Answer = 200) {
    this.scripts.set(path, [...answers]);
    this.defaults.set(path, then);
  }

  /** Forgets the calls and the scripts. */
  reset() {
    this.calls.length = 0;
    this.scripts.clear();
    this.defaults.clear();
  }

  callsTo(path: string): ReceivedCall[] {
    return this.calls.filter(call => call.path === path);
  }

  async stop() {
    this.server?.closeAllConnections();
    await new Promise(resolve => this.server?.close(resolve));
  }

  private async listen() {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const path = req.url ?? '/';
      const text = Buffer.concat(chunks).toString();
      this.calls.push({
        path,
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      });
      const answer =
        this.scripts.get(path)?.shift() ?? this.defaults.get(path) ?? 200;
      if (answer === 'hang') return;
      const { status, delayMs } =
        typeof answer === 'number' ? { status: answer, delayMs: 0 } : answer;
      setTimeout(() => {
        if (status >= 300 && status < 400) res.setHeader('Location', '/moved');
        res.writeHead(status).end();
      }, delayMs);
    });
    await new Promise<void>(resolve =>
      this.server!.listen(0, '127.0.0.1', resolve),
    );
  }
}
