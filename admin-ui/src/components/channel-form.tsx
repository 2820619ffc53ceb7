import type { Condition, MappingItem, TableItem } from '../mapping-types.ts';
import { ChannelPins } from './channel-pins.tsx';
import { DestinationForm, type Connector, type DestinationDraft } from './destination-form.tsx';
import { FilterBuilder } from './filter-builder.tsx';
import { ListInput } from './list-input.tsx';

export interface ChannelDraft {
  id: string;
  description?: string;
  source: { kind: 'mllp' | 'fhir'; host?: string; port?: number | string } & Record<string, unknown>;
  accept: string[];
  filter?: Condition;
  transforms: string[];
  /** Data mappings at the exact version this channel version runs. */
  mappings?: { id: string; version: number }[];
  /** The exact version of each lookup table its mappings read. */
  tables?: Record<string, number>;
  destinations: DestinationDraft[];
  /** Search fields (edited in the JSON view): kept as they are by the form. */
  searchFields?: { name: string; hl7?: string; fhirpath?: string }[];
}

export interface TransformChoice {
  id: string;
  version: number;
  accepts: string[];
  model: string;
}

/** A new channel's starting point: an MLLP listener, no destination yet. */
export const blankChannel = (): ChannelDraft => ({
  id: '',
  source: { kind: 'mllp', host: '127.0.0.1', port: 2576 },
  accept: ['ADT^A01'],
  transforms: [],
  destinations: [],
});

/**
 * The channel as a form: description, source, accepted types, filter, transforms, pinned data
 * mappings and lookup tables, and destinations. What the form has no field for (the listener's
 * TLS, FHIR clients) is edited in the JSON view beside it; both edit the same definition.
 */
export function ChannelForm({
  c,
  isNew,
  transforms,
  mappings,
  tables,
  connectors,
  onChange,
}: {
  c: ChannelDraft;
  isNew: boolean;
  transforms: TransformChoice[];
  mappings: MappingItem[];
  tables: TableItem[];
  connectors: Connector[];
  onChange(c: ChannelDraft): void;
}) {
  /** Sets `k`; an empty value (no filter, no pins) is left out of the definition. */
  const set = <K extends keyof ChannelDraft>(k: K, v: ChannelDraft[K]) => {
    const next = { ...c, [k]: v };
    const optional = k === 'filter' || k === 'mappings' || k === 'tables';
    if (optional && (v === undefined || Object.keys(v as object).length === 0)) delete next[k];
    onChange(next);
  };
  const setSource = (k: string, v: unknown) => set('source', { ...c.source, [k]: v });
  const toggleTransform = (id: string, on: boolean) => set('transforms', on ? [...c.transforms, id] : c.transforms.filter((t) => t !== id));
  const addDestination = () => {
    const k = connectors[0];
    set('destinations', [
      ...c.destinations,
      {
        id: '',
        kind: k?.kind ?? 'erp-rest',
        config: { ...k?.examples[0] },
        models: [
          ...new Set([
            ...transforms.filter((t) => c.transforms.includes(t.id)).map((t) => t.model),
            ...mappings.filter((m) => c.mappings?.some((p) => p.id === m.id)).map((m) => m.model),
          ]),
        ],
      },
    ]);
  };

  return (
    <div class="channel-form">
      <div class="row">
        {isNew && (
          <div class="field">
            <label for="ch-id">Channel id</label>
            <input id="ch-id" required pattern="[a-z0-9\-]{1,64}" value={c.id} onInput={(e) => set('id', e.currentTarget.value)} />
          </div>
        )}
        <div class="field grow">
          <label for="ch-description">Description</label>
          <input id="ch-description" value={c.description ?? ''} onInput={(e) => set('description', e.currentTarget.value || undefined)} />
        </div>
      </div>
      <h3>Source: {c.source.kind === 'mllp' ? 'MLLP listener' : 'FHIR REST'}</h3>
      {c.source.kind === 'mllp' ? (
        <div class="row">
          <div class="field">
            <label for="src-host">Host</label>
            <input id="src-host" value={c.source.host ?? ''} onInput={(e) => setSource('host', e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="src-port">Port (0: any free port)</label>
            <input
              id="src-port"
              value={String(c.source.port ?? '')}
              onInput={(e) =>
                setSource('port', /^\d+$/.test(e.currentTarget.value) ? Number(e.currentTarget.value) : e.currentTarget.value)
              }
            />
          </div>
          <p class="hint">TLS: `source.tls` in the JSON view.</p>
        </div>
      ) : (
        <p class="hint">Tokens and SMART clients: `source` in the JSON view.</p>
      )}
      <div class="field">
        <label for="ch-accept">Accepted types (comma separated, e.g. ADT^A01, DFT^P03)</label>
        <ListInput id="ch-accept" value={c.accept} onChange={(v) => set('accept', v)} />
      </div>
      <FilterBuilder filter={c.filter} onChange={(f) => set('filter', f)} />
      <fieldset class="transforms">
        <legend>Transforms</legend>
        {transforms.map((t) => (
          <span class="check">
            <input
              id={`tr-${t.id}`}
              type="checkbox"
              checked={c.transforms.includes(t.id)}
              onChange={(e) => toggleTransform(t.id, e.currentTarget.checked)}
            />
            <label for={`tr-${t.id}`}>
              {t.id}{' '}
              <span class="muted">
                ({t.accepts.slice(0, 3).join(', ')}
                {t.accepts.length > 3 ? '…' : ''} → {t.model})
              </span>
            </label>
          </span>
        ))}
      </fieldset>
      <ChannelPins
        mappings={mappings}
        tables={tables}
        pinnedMappings={c.mappings ?? []}
        pinnedTables={c.tables ?? {}}
        onMappings={(m) => set('mappings', m)}
        onTables={(t) => set('tables', t)}
      />
      <h3>Destinations</h3>
      {c.destinations.map((d, i) => (
        <DestinationForm
          d={d}
          n={i}
          connectors={connectors}
          onChange={(x) =>
            set(
              'destinations',
              c.destinations.map((y, j) => (j === i ? x : y)),
            )
          }
          onRemove={() =>
            set(
              'destinations',
              c.destinations.filter((_, j) => j !== i),
            )
          }
        />
      ))}
      <button type="button" class="secondary" onClick={addDestination}>
        Add a destination
      </button>
    </div>
  );
}
