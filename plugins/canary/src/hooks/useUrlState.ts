import { useQueryParamState } from '@backstage/core-components';

/**
 * State kept in the page's query string under `name` (so a view can be bookmarked and shared),
 * read through `parse`: the URL is user input, so whatever it holds is checked there.
 */
export function useUrlState<T>(
  name: string,
  parse: (raw: unknown) => T,
): [T, (next: T) => void] {
  const [raw, setRaw] = useQueryParamState<T>(name);
  return [parse(raw), setRaw];
}
