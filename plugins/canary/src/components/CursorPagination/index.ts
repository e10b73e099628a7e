export { CursorPagedTable } from './CursorPagedTable';
export { CursorPagination, PAGE_SIZES } from './CursorPagination';
