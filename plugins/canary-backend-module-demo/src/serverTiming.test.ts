import { serverTiming, serverTimingSeconds } from './serverTiming';

describe('Server-Timing of the demo services', () => {
  it('reads back the handling time it wrote, in seconds', () => {
    expect(serverTimingSeconds(serverTiming(31.25))).toBe(0.03125);
    expect(serverTimingSeconds(serverTiming(0))).toBe(0);
  });

  it('finds the app metric among others and in repeated headers', () => {
    expect(
      serverTimingSeconds('db;dur=3, app;dur=12.5, cache;desc="hit"'),
    ).toBe(0.0125);
    expect(serverTimingSeconds(['db;dur=3', 'app;dur=40'])).toBe(0.04);
  });

  it('reports nothing for a header without the app metric or a malformed one', () => {
    expect(serverTimingSeconds(undefined)).toBeUndefined();
    expect(serverTimingSeconds('db;dur=3')).toBeUndefined();
    expect(serverTimingSeconds('myapp;dur=3')).toBeUndefined();
    expect(serverTimingSeconds('app;dur=-1')).toBeUndefined();
    expect(serverTimingSeconds('app;dur=abc')).toBeUndefined();
  });
});
