import { SchemaFields, type JsonSchema } from './schema-fields.tsx';

export interface Connector {
  kind: string;
  title: string;
  idempotent: boolean;
  secrets: string[];
  config: JsonSchema;
  examples: Record<string, unknown>[];
  /** The canonical models the connector can send (its define…() declaration). */
  models: string[];
}

export interface DestinationDraft {
  id: string;
  kind: string;
  config: Record<string, unknown>;
  models: string[];
  retry?: { attempts?: number; initialDelayMs?: number; maxDelayMs?: number };
  dataPolicy?: { allow: string[]; pseudonymise?: boolean };
  ordering?: { key: string; onHeadFailure: 'block' | 'park' };
}

/** The data classes of transforms/canonical/data-class.ts. */
const DATA_CLASSES = ['direct-identifier', 'indirect-identifier', 'clinical', 'financial', 'operational'];
/** What a destination without a data policy receives (engine/security/data-policy.ts). */
const DEFAULT_ALLOW = ['clinical', 'financial', 'operational'];
const list = (s: string) => s.split(/[\s,]+/).filter(Boolean);
const num = (s: string) => (s === '' ? undefined : Number(s));

/** One destination: connector and its declared settings, models, retry, ordering and data policy. */
export function DestinationForm({
  d,
  n,
  connectors,
  onChange,
  onRemove,
}: {
  d: DestinationDraft;
  n: number;
  connectors: Connector[];
  onChange(d: DestinationDraft): void;
  onRemove(): void;
}) {
  const id = (f: string) => `dest-${n}-${f}`;
  const connector = connectors.find((c) => c.kind === d.kind);
  const set = <K extends keyof DestinationDraft>(k: K, v: DestinationDraft[K] | undefined) => {
    const next = { ...d };
    if (v === undefined) delete next[k];
    else next[k] = v;
    onChange(next);
  };
  const retry = (k: 'attempts' | 'initialDelayMs' | 'maxDelayMs', v: number | undefined) => {
    const r = { ...d.retry, [k]: v };
    if (v === undefined) delete r[k];
    set('retry', Object.keys(r).length ? r : undefined);
  };
  const allow = d.dataPolicy?.allow ?? DEFAULT_ALLOW;
  const toggleClass = (c: string, on: boolean) =>
    set('dataPolicy', { ...d.dataPolicy, allow: DATA_CLASSES.filter((x) => (x === c ? on : allow.includes(x))) });

  return (
    <fieldset class="destination card">
      <legend>
        Destination {n + 1}: {d.id || '(new)'}
      </legend>
      <div class="row">
        <div class="field">
          <label for={id('id')}>Destination id</label>
          <input id={id('id')} required value={d.id} onInput={(e) => set('id', e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for={id('kind')}>Connector</label>
          <select
            id={id('kind')}
            value={d.kind}
            onChange={(e) =>
              onChange({
                ...d,
                kind: e.currentTarget.value,
                config: { ...connectors.find((c) => c.kind === e.currentTarget.value)?.examples[0] },
              })
            }
          >
            {connectors.map((c) => (
              <option value={c.kind}>
                {c.kind}: {c.title}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={id('models')}>
            Models (canonical, comma separated{connector ? `; ${connector.kind} sends ${connector.models.join(', ')}` : ''})
          </label>
          <input id={id('models')} value={d.models.join(', ')} onInput={(e) => set('models', list(e.currentTarget.value))} />
        </div>
      </div>
      <h4>Settings of {d.kind}</h4>
      {connector && (
        <SchemaFields
          schema={connector.config}
          value={d.config}
          secrets={connector.secrets}
          idPrefix={id('config')}
          onChange={(c) => set('config', c)}
        />
      )}
      <h4>Retry, ordering, data policy</h4>
      <div class="row">
        {(['attempts', 'initialDelayMs', 'maxDelayMs'] as const).map((k) => (
          <div class="field">
            <label for={id(k)}>Retry {k}</label>
            <input id={id(k)} type="number" min={1} value={d.retry?.[k] ?? ''} onInput={(e) => retry(k, num(e.currentTarget.value))} />
          </div>
        ))}
        <div class="field">
          <label for={id('order-key')}>Order by (event path; empty: no ordering)</label>
          <input
            id={id('order-key')}
            value={d.ordering?.key ?? ''}
            onInput={(e) =>
              set('ordering', e.currentTarget.value ? { onHeadFailure: 'block', ...d.ordering, key: e.currentTarget.value } : undefined)
            }
          />
        </div>
        {d.ordering && (
          <div class="field">
            <label for={id('order-fail')}>When the head fails</label>
            <select
              id={id('order-fail')}
              value={d.ordering.onHeadFailure}
              onChange={(e) => set('ordering', { ...d.ordering!, onHeadFailure: e.currentTarget.value as 'block' | 'park' })}
            >
              <option value="block">block the key</option>
              <option value="park">park the head</option>
            </select>
          </div>
        )}
      </div>
      <fieldset class="classes">
        <legend>Data classes sent</legend>
        {DATA_CLASSES.map((c) => (
          <span class="check">
            <input
              id={id(`class-${c}`)}
              type="checkbox"
              checked={allow.includes(c)}
              onChange={(e) => toggleClass(c, e.currentTarget.checked)}
            />
            <label for={id(`class-${c}`)}>{c}</label>
          </span>
        ))}
        <span class="check">
          <input
            id={id('pseudo')}
            type="checkbox"
            checked={d.dataPolicy?.pseudonymise === true}
            onChange={(e) => set('dataPolicy', { allow, ...(e.currentTarget.checked ? { pseudonymise: true } : {}) })}
          />
          <label for={id('pseudo')}>pseudonymise the MRN and visit number</label>
        </span>
      </fieldset>
      <button type="button" class="danger" onClick={onRemove}>
        Remove destination {d.id}
      </button>
    </fieldset>
  );
}
