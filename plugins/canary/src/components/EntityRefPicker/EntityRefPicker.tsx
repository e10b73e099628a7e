import TextField from '@material-ui/core/TextField';
import Autocomplete from '@material-ui/lab/Autocomplete';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { usePolling } from '../../hooks/usePolling';

/**
 * A text field for an entity ref with the catalog's entities of `kind` as suggestions. Anything
 * typed is accepted too (the catalog may not know every owner, actors include `engine`); with
 * `defaultKind`, a bare name like `team-a` becomes `group:default/team-a`.
 */
export const EntityRefPicker = ({
  id,
  label,
  kind,
  defaultKind,
  extraOptions = [],
  value,
  onChange,
}: {
  id: string;
  label: string;
  /** The kind of the suggested entities. */
  kind: string;
  defaultKind?: string;
  /** Suggestions beyond the catalog's, e.g. `engine`. */
  extraOptions?: string[];
  value?: string;
  onChange: (ref: string | undefined) => void;
}) => {
  const catalogApi = useApi(catalogApiRef);
  const entities = usePolling(
    `entity-refs:${kind}`,
    async () => {
      const { items } = await catalogApi.getEntities({
        filter: { kind },
        fields: ['kind', 'metadata.name', 'metadata.namespace'],
      });
      return items.map(e => stringifyEntityRef(e));
    },
    { poll: false },
  );

  const commit = (text: string | null) => {
    const trimmed = text?.trim();
    if (!trimmed) {
      onChange(undefined);
      return;
    }
    if (!defaultKind) {
      onChange(trimmed);
      return;
    }
    try {
      onChange(
        stringifyEntityRef(
          parseEntityRef(trimmed, { defaultKind, defaultNamespace: 'default' }),
        ),
      );
    } catch {
      onChange(trimmed);
    }
  };

  return (
    <Autocomplete
      id={id}
      freeSolo
      autoSelect
      options={[...extraOptions, ...(entities.value ?? [])]}
      loading={entities.loading}
      value={value ?? null}
      onChange={(_event, option) => commit(option)}
      style={{ minWidth: 220 }}
      renderInput={params => (
        <TextField {...params} label={label} margin="dense" />
      )}
    />
  );
};
