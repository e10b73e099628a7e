import { act, renderHook, waitFor } from '@testing-library/react';
import { usePolling } from './usePolling';

describe('usePolling', () => {
  afterEach(() => jest.useRealTimers());

  it('loads again after each interval and keeps the last value on errors', async () => {
    jest.useFakeTimers();
    const load = jest
      .fn()
      .mockResolvedValueOnce('first')
      .mockRejectedValueOnce(new Error('offline'))
      .mockResolvedValueOnce('third');

    const { result } = renderHook(() =>
      usePolling('key', load, { intervalMs: 1000 }),
    );
    expect(result.current.loading).toBe(true);
    await waitFor(() => expect(result.current.value).toBe('first'));

    await act(() => jest.advanceTimersByTimeAsync(1000));
    expect(result.current.value).toBe('first');
    expect(result.current.error?.message).toBe('offline');

    await act(() => jest.advanceTimersByTimeAsync(1000));
    expect(result.current.value).toBe('third');
    expect(result.current.error).toBeUndefined();
    expect(load).toHaveBeenCalledTimes(3);
  });

  it('loads once when not polling, and again on refresh', async () => {
    jest.useFakeTimers();
    const load = jest.fn().mockResolvedValue('value');

    const { result } = renderHook(() =>
      usePolling('key', load, { poll: false, intervalMs: 1000 }),
    );
    await waitFor(() => expect(result.current.value).toBe('value'));
    await act(() => jest.advanceTimersByTimeAsync(5000));
    expect(load).toHaveBeenCalledTimes(1);

    act(() => result.current.refresh());
    await waitFor(() => expect(load).toHaveBeenCalledTimes(2));
  });

  it('drops the previous value when the key changes', async () => {
    const load = jest.fn(async () => 'value');
    const { result, rerender } = renderHook(
      ({ key }) => usePolling(key, () => load(), { poll: false }),
      { initialProps: { key: 'a' } },
    );
    await waitFor(() => expect(result.current.value).toBe('value'));

    let resolve: (value: string) => void = () => {};
    load.mockImplementationOnce(() => new Promise(r => (resolve = r)));
    rerender({ key: 'b' });
    expect(result.current).toMatchObject({ loading: true, value: undefined });

    await act(async () => resolve('b-value'));
    expect(result.current.value).toBe('b-value');
  });
});
