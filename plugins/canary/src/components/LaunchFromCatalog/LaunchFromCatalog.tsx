import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import Autocomplete from '@material-ui/lab/Autocomplete';
import { stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import {
  CANARY_ANNOTATIONS,
  isCanaryAvailable,
  type Rollout,
} from '@canary-release/backstage-plugin-canary-common';
import { canaryApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { errorMessage } from '../../utils/errors';
import {
  LaunchDialog,
  servingVersion,
  useLaunchBlocker,
} from '../LaunchRollout';

/** How many of an entity's rollouts the launch dialog learns from, as on the entity's tab. */
const HISTORY_LIMIT = 20;

interface Target {
  entityRef: string;
  preset?: string;
  /** The entity's rollouts, newest first. */
  history: Rollout[];
}

function toTarget(entity: Entity, history: Rollout[]): Target {
  return {
    entityRef: stringifyEntityRef(entity),
    preset: entity.metadata.annotations?.[CANARY_ANNOTATIONS.preset],
    history,
  };
}

/** Whether the picked entity can get a rollout now, and the button to go on to the launch. */
const PickedEntity = ({
  entity,
  onContinue,
  onClose,
}: {
  entity: Entity;
  onContinue: (target: Target) => void;
  onClose: () => void;
}) => {
  const canaryApi = useApi(canaryApiRef);
  const entityRef = stringifyEntityRef(entity);
  const history = usePolling(
    `launch-history:${entityRef}`,
    () => canaryApi.listRollouts({ entityRef, limit: HISTORY_LIMIT }),
    { poll: false },
  );
  const blocker = useLaunchBlocker(entityRef, history.value?.items[0]);

  let problem: string | undefined;
  if (history.error) {
    problem = `Its rollouts could not be loaded: ${errorMessage(
      history.error,
    )}`;
  } else if (!history.loading) {
    problem = blocker;
  }
  return (
    <>
      <DialogContent>
        {history.loading && <Progress />}
        {problem && <Alert severity="warning">{problem}</Alert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          variant="contained"
          color="primary"
          disabled={!history.value || problem !== undefined}
          onClick={() => onContinue(toTarget(entity, history.value!.items))}
        >
          Continue
        </Button>
      </DialogActions>
    </>
  );
};

/** Picks one of the catalog's Components that are set up for canary releases. */
const EntityPickerDialog = ({
  onContinue,
  onClose,
}: {
  onContinue: (target: Target) => void;
  onClose: () => void;
}) => {
  const catalogApi = useApi(catalogApiRef);
  const [picked, setPicked] = useState<Entity | null>(null);
  const entities = usePolling(
    'canary-entities',
    async () => {
      const { items } = await catalogApi.getEntities({
        filter: { kind: 'Component' },
        fields: [
          'kind',
          'metadata.name',
          'metadata.namespace',
          'metadata.title',
          'metadata.annotations',
        ],
      });
      return items.filter(isCanaryAvailable);
    },
    { poll: false },
  );

  return (
    <Dialog
      open
      onClose={onClose}
      fullWidth
      maxWidth="sm"
      aria-labelledby="canary-pick-title"
    >
      <DialogTitle id="canary-pick-title">Launch a canary rollout</DialogTitle>
      <DialogContent>
        <DialogContentText>
          Which entity? Components whose annotations set them up for canary
          releases are listed.
        </DialogContentText>
        {entities.error && (
          <Alert severity="error">
            The catalog could not be read: {errorMessage(entities.error)}
          </Alert>
        )}
        <Autocomplete
          id="canary-launch-entity"
          options={entities.value ?? []}
          loading={entities.loading}
          value={picked}
          onChange={(_event, entity) => setPicked(entity)}
          getOptionLabel={entity =>
            entity.metadata.title ?? entity.metadata.name
          }
          getOptionSelected={(option, value) =>
            stringifyEntityRef(option) === stringifyEntityRef(value)
          }
          renderOption={entity => (
            <span title={stringifyEntityRef(entity)}>
              {entity.metadata.title ?? entity.metadata.name}
              {(entity.metadata.namespace ?? 'default') !== 'default' &&
                ` (${entity.metadata.namespace})`}
            </span>
          )}
          renderInput={params => (
            <TextField {...params} label="Entity" margin="dense" />
          )}
        />
      </DialogContent>
      {picked ? (
        <PickedEntity
          key={stringifyEntityRef(picked)}
          entity={picked}
          onContinue={onContinue}
          onClose={onClose}
        />
      ) : (
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
        </DialogActions>
      )}
    </Dialog>
  );
};

/**
 * Launches a rollout of any set-up entity: pick the entity, then the same launch dialog as its
 * Canary tab (its preset preselected, estimates from its last rollout).
 */
export const LaunchFromCatalog = ({
  onLaunched,
}: {
  onLaunched: (rollout: Rollout) => void;
}) => {
  const [picking, setPicking] = useState(false);
  const [target, setTarget] = useState<Target>();
  return (
    <>
      <Button
        variant="contained"
        color="primary"
        onClick={() => setPicking(true)}
      >
        Launch rollout
      </Button>
      {picking && (
        <EntityPickerDialog
          onContinue={picked => {
            setPicking(false);
            setTarget(picked);
          }}
          onClose={() => setPicking(false)}
        />
      )}
      {target && (
        <LaunchDialog
          entityRef={target.entityRef}
          entityPreset={target.preset}
          history={target.history}
          stableVersionHint={servingVersion(target.history[0])}
          onLaunched={rollout => {
            setTarget(undefined);
            onLaunched(rollout);
          }}
          onClose={() => setTarget(undefined)}
        />
      )}
    </>
  );
};
