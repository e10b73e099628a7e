import {
  AnalysisInputError,
  StatisticsInputError,
  analyze,
  parseAnalysisRequest,
} from '@canary-release/backstage-plugin-canary-common';
import type { AnalysisRequest } from '@canary-release/backstage-plugin-canary-common';
import { move } from 'piscina';

/** The worker's answer: the response as JSON bytes, or why the request is invalid (a 400). */
export type AnalyzeOutcome = Uint8Array | { invalid: string };

/**
 * The task of `POST /analyze`, run on a thread of the Analyzer's pool: parses, validates and
 * judges a request body (JSON as UTF-8 bytes) and serializes the answer, so that none of it holds
 * the event loop every route shares. Bytes go both ways, transferred rather than copied: a
 * structured clone of a worst-case answer's 16 MB took the event loop over 100 ms (bench/
 * analyzeLoad.ts), one of the parsed request or answer far longer. Any other error is a bug: a 500.
 */
export default function analyzeTask(body: Uint8Array): AnalyzeOutcome {
  try {
    const text = Buffer.from(
      body.buffer,
      body.byteOffset,
      body.byteLength,
    ).toString('utf8');
    const response = analyze(parseAnalysisRequest(text) as AnalysisRequest);
    // TextEncoder's bytes have an ArrayBuffer of their own, which can be transferred.
    return move(
      new TextEncoder().encode(JSON.stringify(response)),
    ) as Uint8Array;
  } catch (error) {
    if (
      error instanceof AnalysisInputError ||
      error instanceof StatisticsInputError
    ) {
      return { invalid: error.message };
    }
    throw error;
  }
}
