import { screen } from '@testing-library/react';
import { useQueryParamState } from '@backstage/core-components';

/** Shows the `filters` state of the URL, as a second reader of the query string would see it. */
export const UrlProbe = () => {
  const [filters] = useQueryParamState<unknown>('filters');
  return (
    <output aria-label="URL filters">{JSON.stringify(filters ?? {})}</output>
  );
};

/** What the rendered `UrlProbe` shows. */
export const urlFilters = () =>
  JSON.parse(screen.getByRole('status', { name: 'URL filters' }).textContent!);

/** The request of a mocked list method's latest call: what the list last asked the server. */
export function lastRequest<T extends (...args: any[]) => any>(
  list: jest.MockedFunction<T>,
): NonNullable<Parameters<T>[0]> {
  const { calls } = list.mock;
  return calls[calls.length - 1][0];
}
