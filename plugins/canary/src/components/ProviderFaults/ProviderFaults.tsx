import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import Tooltip from '@material-ui/core/Tooltip';
import { useTheme } from '@material-ui/core/styles';
import WarningIcon from '@material-ui/icons/Warning';
import {
  faultTitle,
  type ProviderFault,
} from '@canary-release/backstage-plugin-canary-common';
import { formatDateTime, formatRelativeTime } from '../../utils/format';

/**
 * One line per fault: "Reading the metrics (prometheus) fails since …: error". The error is there
 * for those who may control the rollout; the backend hides it from other readers.
 */
function describe(fault: ProviderFault, now: number): string {
  const since = `${faultTitle(fault)} fails since ${formatDateTime(
    fault.since,
  )} (${formatRelativeTime(fault.since, now)})`;
  return fault.error === undefined
    ? `${since} (its error is shown to those who may control this rollout)`
    : `${since}: ${fault.error}`;
}

/** The rollout's open faults, and the time their durations are told from. */
interface FaultsProps {
  faults?: ProviderFault[];
  now?: number;
}

/**
 * The providers a rollout cannot reach right now. While they fail, the engine promotes nothing
 * and retries every tick; a rollback waits for them. Nothing when all answer.
 */
export const ProviderFaults = ({ faults, now = Date.now() }: FaultsProps) => {
  if (!faults?.length) return null;
  return (
    <Alert severity="warning">
      <AlertTitle>
        {faults.length === 1
          ? 'A provider does not answer'
          : `${faults.length} providers do not answer`}
      </AlertTitle>
      Nothing is promoted while they fail; the engine tries again at every tick.
      <ul style={{ margin: '4px 0 0', paddingLeft: 20 }}>
        {faults.map(fault => (
          <li key={`${fault.provider}/${fault.operation}`}>
            {describe(fault, now)}
          </li>
        ))}
      </ul>
    </Alert>
  );
};

/** A warning sign for a list row, its tooltip naming the faults; nothing when there are none. */
export const ProviderFaultsIcon = ({
  faults,
  now = Date.now(),
}: FaultsProps) => {
  const theme = useTheme();
  if (!faults?.length) return null;
  const text = faults.map(fault => describe(fault, now)).join('; ');
  return (
    <Tooltip title={text}>
      <WarningIcon
        titleAccess={`Provider faults: ${text}`}
        fontSize="small"
        style={{
          color: theme.palette.warning.main,
          verticalAlign: 'middle',
          marginLeft: 4,
        }}
      />
    </Tooltip>
  );
};
