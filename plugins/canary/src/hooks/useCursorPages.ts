import { useState } from 'react';

/** Where a cursor-paginated list is, and how to move through it. */
export interface CursorPages {
  /** The cursor of the page shown; undefined on the first page. */
  cursor?: string;
  /** 1 on the first page. */
  page: number;
  /** Goes to the page after the shown one, given the cursor the server answered with. */
  next: (nextCursor: string) => void;
  /** Back to the page before; a no-op on the first page. */
  previous: () => void;
}

/**
 * Pages of a keyset-paginated list: the server only gives the cursor of the next page, so the
 * cursors of the pages seen are kept on a stack to go back. A new `resetKey` (other filters or
 * order: their cursors are meaningless) starts again from the first page.
 */
export function useCursorPages(resetKey: string): CursorPages {
  const [state, setState] = useState<{ key: string; stack: string[] }>({
    key: resetKey,
    stack: [],
  });
  const stack = state.key === resetKey ? state.stack : [];
  return {
    cursor: stack[stack.length - 1],
    page: stack.length + 1,
    next: nextCursor =>
      setState({ key: resetKey, stack: [...stack, nextCursor] }),
    previous: () => setState({ key: resetKey, stack: stack.slice(0, -1) }),
  };
}
