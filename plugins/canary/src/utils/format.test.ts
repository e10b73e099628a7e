import {
  formatActor,
  formatDuration,
  formatRelativeTime,
  parseDurationString,
  toDurationString,
} from './format';

describe('format', () => {
  it.each([
    [0, '0s'],
    [-5000, '0s'],
    [45_000, '45s'],
    [90_000, '1m 30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h 30m'],
    [3_661_000, '1h 1m'],
    [90_000_000, '1d 1h'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('parses and writes launch durations', () => {
    expect(parseDurationString('30s')).toBe(30_000);
    expect(parseDurationString(' 5m ')).toBe(300_000);
    expect(parseDurationString('2h')).toBe(7_200_000);
    expect(parseDurationString('5 minutes')).toBeUndefined();
    expect(parseDurationString('1.5h')).toBeUndefined();
    expect(toDurationString(7_200_000)).toBe('2h');
    expect(toDurationString(300_000)).toBe('5m');
    expect(toDurationString(45_000)).toBe('45s');
  });

  it('formats times relative to now', () => {
    const now = Date.parse('2025-01-01T12:00:00Z');
    expect(formatRelativeTime('2025-01-01T11:57:00Z', now)).toBe(
      '3 minutes ago',
    );
    expect(formatRelativeTime('2025-01-01T12:00:20Z', now)).toBe(
      'in 20 seconds',
    );
    expect(formatRelativeTime('2024-12-30T12:00:00Z', now)).toBe('2 days ago');
  });

  it('shows actors by name', () => {
    expect(formatActor('user:default/alice')).toBe('alice');
    expect(formatActor('engine')).toBe('engine');
  });
});
