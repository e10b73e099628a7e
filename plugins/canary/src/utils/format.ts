import { parseEntityRef } from '@backstage/catalog-model';
import type { Rollout } from '@canary-release/backstage-plugin-canary-common';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const UNITS: Array<[string, number]> = [
  ['d', DAY],
  ['h', HOUR],
  ['m', MINUTE],
  ['s', SECOND],
];

/** A duration in its two largest units, e.g. `1h 30m`, `45s`; negative durations show as `0s`. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms / SECOND) * SECOND);
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    } else if (parts.length > 0) {
      break;
    }
  }
  return parts.length > 0 ? parts.join(' ') : '0s';
}

const DURATION_STRING = /^(\d+)([smh])$/;
const DURATION_UNITS: Record<string, number> = {
  s: SECOND,
  m: MINUTE,
  h: HOUR,
};

/** Milliseconds of a launch-request duration (`30s`, `5m`, `1h`), or undefined when malformed. */
export function parseDurationString(text: string): number | undefined {
  const match = DURATION_STRING.exec(text.trim());
  return match ? Number(match[1]) * DURATION_UNITS[match[2]] : undefined;
}

/** The launch-request form of a duration in milliseconds, in the largest unit that divides it. */
export function toDurationString(ms: number): `${number}${'s' | 'm' | 'h'}` {
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  return `${Math.round(ms / SECOND)}s`;
}

const relativeTime = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** `3 minutes ago`, `in 20 seconds`. */
export function formatRelativeTime(iso: string, now: number): string {
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  if (abs < MINUTE)
    return relativeTime.format(Math.round(diff / SECOND), 'second');
  if (abs < HOUR)
    return relativeTime.format(Math.round(diff / MINUTE), 'minute');
  if (abs < DAY) return relativeTime.format(Math.round(diff / HOUR), 'hour');
  return relativeTime.format(Math.round(diff / DAY), 'day');
}

/** A local date and time, e.g. `5/3/2025, 2:04:05 PM`. */
export function formatDateTime(iso: string): string {
  return new Date(iso).toLocaleString();
}

/** `guest` for `user:default/guest`; actors that are not entity refs (`engine`) unchanged. */
export function formatActor(actor: string): string {
  try {
    return parseEntityRef(actor).name;
  } catch {
    return actor;
  }
}

/** The rollout's stage and its weight, e.g. `2 of 3 (25 %)`, or `Not started`. */
export function formatStage(rollout: Rollout): string {
  const stage = rollout.strategy.stages[rollout.stageIndex];
  return stage
    ? `${rollout.stageIndex + 1} of ${rollout.strategy.stages.length} (${
        stage.weight
      } %)`
    : 'Not started';
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO time as the value of a `datetime-local` input, in the browser's time zone. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(
    d.getHours(),
  )}:${pad(d.getMinutes())}`;
}

/** The value of a `datetime-local` input (local time) as an ISO time; empty as undefined. */
export function fromLocalInput(value: string): string | undefined {
  const ms = Date.parse(value);
  return value && !Number.isNaN(ms) ? new Date(ms).toISOString() : undefined;
}
