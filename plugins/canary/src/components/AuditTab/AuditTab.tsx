import { useMemo, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Alert from '@material-ui/lab/Alert';
import {
  ResponseErrorPanel,
  type TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import type { AuditEvent } from '@canary-release/backstage-plugin-canary-common';
import { canaryApiRef } from '../../api';
import { useCursorPages } from '../../hooks/useCursorPages';
import { usePolling } from '../../hooks/usePolling';
import { useUrlState } from '../../hooks/useUrlState';
import { saveFile } from '../../utils/download';
import { errorMessage } from '../../utils/errors';
import { formatActor, formatDateTime } from '../../utils/format';
import { CursorPagedTable } from '../CursorPagination';
import { EntityCanaryLink } from '../EntityCanaryLink';
import { phaseLabel } from '../PhaseStatus';
import { AuditEventDetails } from './AuditEventDetails';
import { AuditFilterBar } from './AuditFilterBar';
import { parseAuditFilters, toAuditFilter } from './filters';

function change<T>(before: T | undefined, after: T, show: (v: T) => string) {
  return before === undefined || before === after
    ? show(after)
    : `${show(before)} → ${show(after)}`;
}

const columns: TableColumn<AuditEvent>[] = [
  {
    title: 'Time',
    cellStyle: { whiteSpace: 'nowrap' },
    render: row => formatDateTime(row.at),
  },
  {
    title: 'Entity',
    cellStyle: { whiteSpace: 'nowrap' },
    render: row => (
      <EntityCanaryLink entityRef={row.entityRef} rolloutId={row.rolloutId} />
    ),
  },
  {
    title: 'Actor',
    render: row => <span title={row.actor}>{formatActor(row.actor)}</span>,
  },
  { title: 'Action', field: 'action', cellStyle: { whiteSpace: 'nowrap' } },
  {
    title: 'Phase',
    cellStyle: { minWidth: 200 },
    render: row => change(row.phaseBefore, row.phaseAfter, phaseLabel),
  },
  {
    title: 'Stage',
    render: row => (row.stageIndex >= 0 ? String(row.stageIndex + 1) : '–'),
  },
  {
    title: 'Canary weight',
    cellStyle: { whiteSpace: 'nowrap' },
    render: row =>
      change(row.weightsBefore?.canary, row.weightsAfter.canary, w => `${w} %`),
  },
  { title: 'Reason', field: 'reason', cellStyle: { minWidth: 280 } },
];

const EXPORT_FORMATS = ['csv', 'json'] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

const detailPanel = [
  {
    tooltip: 'The numbers',
    render: ({ rowData }: { rowData: AuditEvent }) => (
      <AuditEventDetails event={rowData} />
    ),
  },
];

/**
 * Every audit event across rollouts (oldest first, as the server pages them): filtered by the
 * server, the filters kept in the URL, each event's numbers in an expandable row, and the whole
 * filtered trail for download as CSV or JSON.
 */
export const AuditTab = () => {
  const canaryApi = useApi(canaryApiRef);
  const [filters, setFilters] = useUrlState('filters', parseAuditFilters);
  const pages = useCursorPages(JSON.stringify(filters));
  const request = { ...filters, cursor: pages.cursor };
  const events = usePolling(
    `audit:${JSON.stringify(request)}`,
    () => canaryApi.listAuditEvents(request),
    // Not polled: a refresh would close the rows a reader has opened.
    { poll: false },
  );
  // The same rows until the next answer: new ones would close the rows a reader has opened.
  const data = useMemo(
    () => (events.value?.items ?? []).map(event => ({ ...event })),
    [events.value],
  );
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string>();

  const download = async (format: ExportFormat) => {
    setExporting(true);
    setExportError(undefined);
    try {
      const file = await canaryApi.exportAuditEvents(
        format,
        toAuditFilter(filters),
      );
      saveFile(file.blob, file.filename);
    } catch (e) {
      setExportError(errorMessage(e as Error));
    } finally {
      setExporting(false);
    }
  };

  return (
    <>
      <Box display="flex" alignItems="flex-start" style={{ gap: 8 }} mb={2}>
        <Box flexGrow={1}>
          <AuditFilterBar filters={filters} onChange={setFilters} />
        </Box>
        <Box mt={2} display="flex" style={{ gap: 8, whiteSpace: 'nowrap' }}>
          <Button onClick={events.refresh}>Refresh</Button>
          {EXPORT_FORMATS.map(format => (
            <Button
              key={format}
              variant="outlined"
              disabled={exporting}
              onClick={() => download(format)}
            >
              Export {format.toUpperCase()}
            </Button>
          ))}
        </Box>
      </Box>
      {exportError && (
        <Alert severity="error" onClose={() => setExportError(undefined)}>
          The export failed: {exportError}
        </Alert>
      )}
      {events.error && <ResponseErrorPanel error={events.error} />}
      <CursorPagedTable<AuditEvent>
        title="Audit trail"
        isLoading={events.loading}
        columns={columns}
        data={data}
        detailPanel={detailPanel}
        emptyText="No events match these filters."
        pagination={{
          label: 'Audit events',
          pages,
          nextCursor: events.value?.nextCursor,
          pageSize: filters.limit,
          onPageSizeChange: limit => setFilters({ ...filters, limit }),
        }}
      />
    </>
  );
};
