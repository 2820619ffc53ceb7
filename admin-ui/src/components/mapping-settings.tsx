import type { Condition, MappingDraft } from '../mapping-types.ts';
import { ConditionEditor } from './filter-builder.tsx';
import { ListInput } from './list-input.tsx';

export interface ModelChoice {
  /** `ChargeEvent.v1` */
  id: string;
  title?: string;
  version?: number;
}

/** `forEach` with its condition set, or without one. */
function withWhere(forEach: NonNullable<MappingDraft['forEach']>, where: Condition | undefined): MappingDraft['forEach'] {
  const next = { ...forEach };
  if (where) next.where = where;
  else delete next.where;
  return next;
}

/**
 * What a mapping is: id, description, model and version, input kind, accepted types, and one event
 * per segment (which of them, and the segments along it).
 */
export function MappingSettings({
  m,
  isNew,
  models,
  readOnly,
  onChange,
}: {
  m: MappingDraft;
  isNew: boolean;
  models: ModelChoice[];
  readOnly: boolean;
  onChange(m: MappingDraft): void;
}) {
  const set = <K extends keyof MappingDraft>(k: K, v: MappingDraft[K]) => onChange({ ...m, [k]: v });
  const setForEach = (segment: string, along: string[]) => {
    const next = { ...m };
    if (segment) next.forEach = { ...m.forEach, segment, ...(along.length ? { along } : {}) };
    else delete next.forEach;
    if (next.forEach && !along.length) delete next.forEach.along;
    onChange(next);
  };
  const model = `${m.model}.v${m.modelVersion}`;
  return (
    <fieldset class="mapping-settings" disabled={readOnly}>
      <legend class="sr-only">Mapping</legend>
      <div class="row">
        {isNew && (
          <div class="field">
            <label for="mapping-id">Mapping id</label>
            <input
              id="mapping-id"
              required
              pattern="[a-z0-9][a-z0-9.\-]{0,62}"
              value={m.id}
              onInput={(e) => set('id', e.currentTarget.value)}
            />
          </div>
        )}
        <div class="field grow">
          <label for="mapping-description">Description</label>
          <input
            id="mapping-description"
            maxLength={500}
            value={m.description}
            onInput={(e) => set('description', e.currentTarget.value)}
          />
        </div>
      </div>
      <div class="row">
        <div class="field">
          <label for="mapping-model">Canonical model</label>
          <select
            id="mapping-model"
            value={model}
            onChange={(e) => {
              const [name = '', v = '1'] = e.currentTarget.value.split('.v');
              onChange({ ...m, model: name, modelVersion: Number(v) });
            }}
          >
            {models.map((x) => (
              <option value={x.id}>{x.title ? `${x.id}: ${x.title}` : x.id}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="mapping-input">Input</label>
          <select id="mapping-input" value={m.input} onChange={(e) => set('input', e.currentTarget.value as MappingDraft['input'])}>
            <option value="hl7">HL7v2 message</option>
            <option value="fhir">FHIR resource</option>
          </select>
        </div>
        <div class="field grow">
          <label for="mapping-accepts">Accepted types (comma separated, e.g. DFT^P03 or ChargeItem)</label>
          <ListInput id="mapping-accepts" className="wide" value={m.accepts} onChange={(v) => set('accepts', v)} />
        </div>
      </div>
      {m.input === 'hl7' && (
        <div class="row">
          <div class="field">
            <label for="mapping-foreach">One event per segment (e.g. FT1; empty: one per message)</label>
            <input
              id="mapping-foreach"
              class="mono"
              maxLength={3}
              value={m.forEach?.segment ?? ''}
              onInput={(e) => setForEach(e.currentTarget.value.toUpperCase(), m.forEach?.along ?? [])}
            />
          </div>
          {m.forEach && (
            <div class="field">
              <label for="mapping-along">Segments along it, one per event (e.g. ZCH)</label>
              <ListInput
                id="mapping-along"
                className="mono"
                value={m.forEach.along ?? []}
                onChange={(v) =>
                  setForEach(
                    m.forEach!.segment,
                    v.map((x) => x.toUpperCase()),
                  )
                }
              />
            </div>
          )}
        </div>
      )}
      {m.input === 'hl7' && m.forEach && (
        <div class="foreach-where">
          <span class="check">
            <input
              id="mapping-where"
              type="checkbox"
              checked={m.forEach.where !== undefined}
              onChange={(e) =>
                onChange({
                  ...m,
                  forEach: withWhere(m.forEach!, e.currentTarget.checked ? { hl7: `${m.forEach!.segment}-6`, present: true } : undefined),
                })
              }
            />
            <label for="mapping-where">Only the {m.forEach.segment} segments meeting a condition make an event</label>
          </span>
          {m.forEach.where && (
            <ConditionEditor c={m.forEach.where} onChange={(where) => onChange({ ...m, forEach: withWhere(m.forEach!, where) })} />
          )}
        </div>
      )}
    </fieldset>
  );
}
