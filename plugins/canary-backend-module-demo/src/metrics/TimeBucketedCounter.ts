import type { ArmSample } from '@canary-release/backstage-plugin-canary-common';
import { bucketIndex, LATENCY_BUCKET_BOUNDS } from './buckets';

/** Options of a {@link TimeBucketedCounter}. */
export interface TimeBucketedCounterOptions {
  /** Width of a time bucket in milliseconds; default 100. */
  bucketMs?: number;
  /** How far back windows can reach, in milliseconds; default one hour. */
  retentionMs?: number;
  /** Latency histogram bounds in seconds; default {@link LATENCY_BUCKET_BOUNDS}. */
  bounds?: readonly number[];
  /** The clock retention is measured against; default `Date.now`. */
  now?: () => number;
}

/**
 * Requests, errors and a latency histogram of one arm, kept per time bucket in a ring buffer of
 * fixed size (retention / bucket width), so memory stays bounded however long the demo runs
 * (about 3 MB per arm at the defaults).
 *
 * An observation at time `t` lands in bucket `floor(t / bucketMs)`. A window `[start, end)` sums
 * the buckets that start inside it; windows that follow each other without gaps therefore count
 * every observation exactly once, and windows on multiples of `bucketMs` are exact.
 */
export class TimeBucketedCounter {
  private readonly bucketMs: number;
  private readonly retentionMs: number;
  private readonly bounds: readonly number[];
  private readonly now: () => number;
  private readonly slots: number;
  private readonly slotBucket: Float64Array;
  private readonly requests: Uint32Array;
  private readonly errors: Uint32Array;
  private readonly histogram: Uint32Array;

  constructor(options: TimeBucketedCounterOptions = {}) {
    this.bucketMs = options.bucketMs ?? 100;
    this.retentionMs = options.retentionMs ?? 60 * 60 * 1000;
    this.bounds = options.bounds ?? LATENCY_BUCKET_BOUNDS;
    this.now = options.now ?? Date.now;
    this.slots = Math.ceil(this.retentionMs / this.bucketMs) + 1;
    this.slotBucket = new Float64Array(this.slots).fill(-1);
    this.requests = new Uint32Array(this.slots);
    this.errors = new Uint32Array(this.slots);
    this.histogram = new Uint32Array(this.slots * (this.bounds.length + 1));
  }

  /** Counts one request that ended at `atMs` (epoch milliseconds). */
  record(error: boolean, latencySeconds: number, atMs: number): void {
    const bucket = Math.floor(atMs / this.bucketMs);
    const slot = bucket % this.slots;
    const width = this.bounds.length + 1;
    if (this.slotBucket[slot] !== bucket) {
      if (this.slotBucket[slot] > bucket) {
        // Older than what the slot holds now: outside the retention, dropped.
        return;
      }
      this.slotBucket[slot] = bucket;
      this.requests[slot] = 0;
      this.errors[slot] = 0;
      this.histogram.fill(0, slot * width, (slot + 1) * width);
    }
    this.requests[slot] += 1;
    if (error) {
      this.errors[slot] += 1;
    }
    this.histogram[
      slot * width + bucketIndex(this.bounds, latencySeconds)
    ] += 1;
  }

  /**
   * Sums the buckets that start in `[startMs, endMs)`. Throws when the window ends before it
   * starts or reaches back beyond the retention.
   */
  sample(startMs: number, endMs: number): ArmSample {
    if (!(endMs >= startMs)) {
      throw new Error(
        `Invalid window: end ${new Date(
          endMs,
        ).toISOString()} is before start ${new Date(startMs).toISOString()}`,
      );
    }
    if (startMs < this.now() - this.retentionMs) {
      throw new Error(
        `The window starting ${new Date(
          startMs,
        ).toISOString()} reaches back more than ${
          this.retentionMs / 1000
        } s, beyond what the demo keeps`,
      );
    }
    const width = this.bounds.length + 1;
    const counts = new Array<number>(width).fill(0);
    let requests = 0;
    let errors = 0;
    const first = Math.ceil(startMs / this.bucketMs);
    const last = Math.ceil(endMs / this.bucketMs) - 1;
    for (let slot = 0; slot < this.slots; slot++) {
      const bucket = this.slotBucket[slot];
      if (bucket < first || bucket > last) {
        continue;
      }
      requests += this.requests[slot];
      errors += this.errors[slot];
      for (let i = 0; i < width; i++) {
        counts[i] += this.histogram[slot * width + i];
      }
    }
    return {
      requests,
      errors,
      latency: { bounds: [...this.bounds], counts },
    };
  }
}
