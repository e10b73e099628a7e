import type { ComponentProps } from 'react';
import Typography from '@material-ui/core/Typography';
import {
  Table,
  type TableColumn,
  type TableProps,
} from '@backstage/core-components';
import { CursorPagination } from './CursorPagination';

/**
 * One page of a list the server filters, sorts and pages (so the table does none of it), with
 * the pagination under it.
 */
export function CursorPagedTable<T extends object>({
  title,
  isLoading,
  columns,
  data,
  detailPanel,
  emptyText,
  pagination,
}: {
  title: string;
  isLoading: boolean;
  columns: TableColumn<T>[];
  data: T[];
  detailPanel?: TableProps<T>['detailPanel'];
  /** What the table says when the page is empty. */
  emptyText: string;
  pagination: ComponentProps<typeof CursorPagination>;
}) {
  return (
    <>
      <Table<T>
        title={title}
        isLoading={isLoading}
        options={{
          paging: false,
          search: false,
          sorting: false,
          padding: 'dense',
        }}
        columns={columns}
        data={data}
        detailPanel={detailPanel}
        emptyContent={
          <Typography variant="body2" style={{ padding: 16 }}>
            {emptyText}
          </Typography>
        }
      />
      <CursorPagination {...pagination} />
    </>
  );
}
