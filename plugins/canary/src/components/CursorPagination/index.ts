export { CursorPagination, PAGE_SIZES } from './CursorPagination';
