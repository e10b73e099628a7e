import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import type { CursorPages } from '../../hooks/useCursorPages';

/** The page sizes offered. */
export const PAGE_SIZES = [10, 20, 50, 100] as const;

/**
 * Previous and Next over a keyset-paginated list (no total is known, so there are no page
 * numbers to jump to) and the page size.
 */
export const CursorPagination = ({
  label,
  pages,
  nextCursor,
  pageSize,
  onPageSizeChange,
}: {
  /** What is paged, for screen readers: e.g. `Rollouts`. */
  label: string;
  pages: CursorPages;
  /** The cursor the server gave with the shown page; absent on the last page. */
  nextCursor?: string;
  pageSize: number;
  onPageSizeChange: (size: number) => void;
}) => (
  <Box
    component="nav"
    aria-label={`${label} pages`}
    display="flex"
    alignItems="center"
    justifyContent="flex-end"
    style={{ gap: 16 }}
    mt={1}
  >
    <TextField
      select
      id={`${label.toLocaleLowerCase('en').replace(/\s+/g, '-')}-page-size`}
      label="Per page"
      value={pageSize}
      onChange={e => onPageSizeChange(Number(e.target.value))}
      style={{ minWidth: 90 }}
    >
      {PAGE_SIZES.map(size => (
        <MenuItem key={size} value={size}>
          {size}
        </MenuItem>
      ))}
    </TextField>
    <Typography variant="body2">Page {pages.page}</Typography>
    <Button disabled={pages.page === 1} onClick={pages.previous}>
      Previous
    </Button>
    <Button
      disabled={!nextCursor}
      onClick={() => nextCursor && pages.next(nextCursor)}
    >
      Next
    </Button>
  </Box>
);
