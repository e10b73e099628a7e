import { RootConfigService } from '@backstage/backend-plugin-api';
import {
  CustomErrorBase,
  InputError,
  ServiceUnavailableError,
} from '@backstage/errors';
import express from 'express';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { formatDuration, parseDuration } from '../strategy/strategy';
import type { AnalyzeOutcome } from './analyzeWorker';

/** The stateless judge takes raw samples: up to ANALYSIS_LIMITS.maxTotalValues numbers. */
const BODY_LIMIT = '25mb';
/** A thread without work for this long ends; the next analysis starts one again. */
const IDLE_TIMEOUT_MS = 60_000;
/** What a refusal for a full queue asks to wait: about what a worst-case analysis takes. */
const QUEUE_FULL_RETRY_AFTER_S = 5;

/**
 * The worker's module, through the package's exports: src/analyze/analyzeWorker.ts from sources,
 * dist/analyzeWorker.cjs.js once built and packed (a build makes each export an entry point).
 */
const WORKER_FILE = require.resolve(
  '@canary-release/backstage-plugin-canary-backend/analyzeWorker',
);

/**
 * How `POST /analyze` may load the backend (`canary.analyze`): threads, waiting requests, and each
 * caller's rate.
 */
export interface AnalyzerSettings {
  maxThreads: number;
  maxQueue: number;
  rateLimit: { requests: number; windowMs: number };
}

/** The settings of `canary.analyze`; startup fails on values out of range. */
export function readAnalyzerSettings(
  config: RootConfigService,
): AnalyzerSettings {
  const whole = (key: string, min: number, fallback: number) => {
    const value = config.getOptionalNumber(`canary.analyze.${key}`);
    if (value === undefined) return fallback;
    if (!(Number.isInteger(value) && value >= min)) {
      throw new Error(
        `canary.analyze.${key} must be a whole number of at least ${min}, not ${value}`,
      );
    }
    return value;
  };
  const windowText =
    config.getOptionalString('canary.analyze.rateLimit.window') ?? '1m';
  const windowMs = parseDuration(windowText);
  if (windowMs === undefined || windowMs < 1000) {
    throw new Error(
      `canary.analyze.rateLimit.window "${windowText}" is not a duration of at least 1s, e.g. 1m`,
    );
  }
  return {
    maxThreads: whole('maxThreads', 1, Math.max(1, availableParallelism() - 1)),
    maxQueue: whole('maxQueue', 0, 8),
    rateLimit: { requests: whole('rateLimit.requests', 1, 30), windowMs },
  };
}

/** 429: the caller has used up its rate limit. */
class TooManyRequestsError extends CustomErrorBase {
  name = 'TooManyRequestsError';
  readonly statusCode = 429;
}

/**
 * Threads run TypeScript sources through the transform the backend itself runs with. The dev
 * backend (`backstage-cli package start`) loads Backstage's node transform with `--require`, which
 * threads inherit with the rest of execArgv; Jest transforms modules in its own loader, which
 * threads do not have, so where `.ts` has no loader they are given that same transform.
 */
function workerExecArgv(): string[] | undefined {
  if (!WORKER_FILE.endsWith('.ts') || require.extensions['.ts']) {
    return undefined;
  }
  return [
    ...process.execArgv,
    '--require',
    require.resolve('@backstage/cli/config/nodeTransform.cjs'),
  ];
}

/**
 * `POST /analyze` off the event loop: the judge runs on a pool of worker threads, at most
 * `maxThreads` analyses at once and `maxQueue` waiting (beyond: 503), each caller at most
 * `rateLimit.requests` per window (beyond: 429). The rate is counted per backend replica.
 */
export class Analyzer {
  readonly #settings: AnalyzerSettings;
  readonly #pool: Piscina<Uint8Array, AnalyzeOutcome>;
  readonly #limiter: RateLimiterMemory;
  /** Analyses running or waiting for a thread. */
  #admitted = 0;

  constructor(settings: AnalyzerSettings) {
    this.#settings = settings;
    this.#pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: 0,
      maxThreads: settings.maxThreads,
      idleTimeout: IDLE_TIMEOUT_MS,
      execArgv: workerExecArgv(),
    });
    this.#limiter = new RateLimiterMemory({
      points: settings.rateLimit.requests,
      duration: settings.rateLimit.windowMs / 1000,
    });
  }

  /**
   * The route's handlers, given who the (authenticated) caller is. The rate limit applies before
   * the body is read, so a refused caller costs no parsing; the body is read as bytes (JSON is
   * parsed on a thread, as is everything after).
   */
  handlers(
    callerOf: (req: express.Request) => Promise<string>,
  ): express.RequestHandler[] {
    return [
      (req, res, next) => {
        callerOf(req)
          .then(caller => this.#admit(caller, res))
          .then(() => next(), next);
      },
      express.raw({ type: 'application/json', limit: BODY_LIMIT }),
      (req, res, next) => {
        this.#analyze(req.body, res).then(json => {
          // Not res.send: the ETag it computes would hash the whole answer on the event loop.
          res.type('json').end(json);
        }, next);
      },
    ];
  }

  /** Ends the threads. */
  async close(): Promise<void> {
    await this.#pool.destroy();
  }

  async #admit(caller: string, res: express.Response) {
    try {
      await this.#limiter.consume(caller);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      res.setHeader('Retry-After', String(seconds));
      const { requests, windowMs } = this.#settings.rateLimit;
      throw new TooManyRequestsError(
        `Rate limit (canary.analyze.rateLimit): at most ${requests} analyses per ${formatDuration(
          windowMs,
        )} per caller; retry in ${seconds} s`,
      );
    }
  }

  async #analyze(body: unknown, res: express.Response): Promise<Buffer> {
    if (!Buffer.isBuffer(body)) {
      throw new InputError(
        'Invalid analysis request: send it as JSON (Content-Type: application/json)',
      );
    }
    const { maxThreads, maxQueue } = this.#settings;
    if (this.#admitted >= maxThreads + maxQueue) {
      res.setHeader('Retry-After', String(QUEUE_FULL_RETRY_AFTER_S));
      throw new ServiceUnavailableError(
        `The analysis queue is full (canary.analyze.maxThreads ${maxThreads}, canary.analyze.maxQueue ${maxQueue}); retry in ${QUEUE_FULL_RETRY_AFTER_S} s`,
      );
    }
    // The bytes are moved to the thread, not copied; only a small body shares its memory with
    // others (Node's buffer pool), and is copied first.
    const bytes =
      body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
        ? body
        : new Uint8Array(body);
    this.#admitted++;
    let outcome: AnalyzeOutcome;
    try {
      outcome = await this.#pool.run(bytes, { transferList: [bytes.buffer] });
    } finally {
      this.#admitted--;
    }
    if ('invalid' in outcome) {
      throw new InputError(`Invalid analysis request: ${outcome.invalid}`);
    }
    return Buffer.from(outcome.buffer, outcome.byteOffset, outcome.byteLength);
  }
}
