import { useId } from 'preact/hooks';
import type { Condition } from '../mapping-types.ts';
import { ListInput, splitList } from './list-input.tsx';

type Kind = 'hl7' | 'fhir' | 'all' | 'any' | 'not';
type Leaf = Extract<Condition, { oneOf?: string[] }>;
type Test = 'present' | 'absent' | 'oneOf' | 'matches' | 'inTable';

const kindOf = (c: Condition): Kind => ('hl7' in c ? 'hl7' : 'fhir' in c ? 'fhir' : 'all' in c ? 'all' : 'any' in c ? 'any' : 'not');
const testOf = (c: Leaf): Test =>
  c.present === false
    ? 'absent'
    : c.oneOf
      ? 'oneOf'
      : c.matches !== undefined
        ? 'matches'
        : c.inTable !== undefined
          ? 'inTable'
          : 'present';
const pathOf = (c: Leaf) => ('hl7' in c ? c.hl7 : c.fhir);

/** The condition `c` turned into one of another kind, keeping what it can (a group wraps it). */
function convert(c: Condition, kind: Kind): Condition {
  if (kind === 'all' || kind === 'any')
    return 'all' in c || 'any' in c ? ({ [kind]: 'all' in c ? c.all : c.any } as Condition) : ({ [kind]: [c] } as Condition);
  if (kind === 'not') return { not: c };
  const { oneOf, matches, inTable, present } = 'hl7' in c || 'fhir' in c ? c : ({} as Partial<Leaf>);
  const path = 'hl7' in c || 'fhir' in c ? pathOf(c) : '';
  const test = {
    ...(oneOf ? { oneOf } : {}),
    ...(matches !== undefined ? { matches } : {}),
    ...(inTable !== undefined ? { inTable } : {}),
    ...(present !== undefined ? { present } : {}),
  };
  return kind === 'hl7' ? { hl7: path, ...test } : { fhir: path, ...test };
}

function withTest(c: Leaf, test: Test, value: string): Leaf {
  const base: Leaf = 'hl7' in c ? { hl7: c.hl7 } : { fhir: c.fhir };
  if (test === 'absent') return { ...base, present: false };
  if (test === 'oneOf') return { ...base, oneOf: splitList(value, false) };
  if (test === 'matches') return { ...base, matches: value };
  if (test === 'inTable') return { ...base, inTable: value };
  return base;
}

/** One condition of a filter, and its parts when it combines others. */
export function ConditionEditor({ c, onChange, onRemove }: { c: Condition; onChange(c: Condition): void; onRemove?(): void }) {
  const id = useId();
  const kind = kindOf(c);
  const parts = 'all' in c ? c.all : 'any' in c ? c.any : undefined;
  const setParts = (next: Condition[]) => onChange(kind === 'all' ? { all: next } : { any: next });
  return (
    <fieldset class="filter-builder">
      <legend>{kind === 'all' ? 'All of' : kind === 'any' ? 'Any of' : kind === 'not' ? 'Not' : 'Condition'}</legend>
      <div class="row">
        <div class="field">
          <label for={`${id}-kind`}>Kind</label>
          <select id={`${id}-kind`} value={kind} onChange={(e) => onChange(convert(c, e.currentTarget.value as Kind))}>
            <option value="hl7">HL7v2 field</option>
            <option value="fhir">FHIRPath</option>
            <option value="all">all of (and)</option>
            <option value="any">any of (or)</option>
            <option value="not">not</option>
          </select>
        </div>
        {('hl7' in c || 'fhir' in c) && <LeafFields id={id} c={c} onChange={onChange} />}
        {onRemove && (
          <button type="button" class="danger" onClick={onRemove}>
            Remove condition
          </button>
        )}
      </div>
      {parts?.map((p, i) => (
        <ConditionEditor
          c={p}
          onChange={(x) => setParts(parts.map((y, j) => (j === i ? x : y)))}
          onRemove={parts.length > 1 ? () => setParts(parts.filter((_, j) => j !== i)) : undefined}
        />
      ))}
      {parts && (
        <button type="button" class="secondary" onClick={() => setParts([...parts, { hl7: '', present: true }])}>
          Add a condition
        </button>
      )}
      {'not' in c && <ConditionEditor c={c.not} onChange={(x) => onChange({ not: x })} />}
    </fieldset>
  );
}

function LeafFields({ id, c, onChange }: { id: string; c: Leaf; onChange(c: Condition): void }) {
  const test = testOf(c);
  const value = test === 'oneOf' ? (c.oneOf ?? []).join(', ') : test === 'inTable' ? (c.inTable ?? '') : (c.matches ?? '');
  return (
    <>
      <div class="field">
        <label for={`${id}-path`}>{'hl7' in c ? 'HL7v2 path (e.g. PV1-2)' : 'FHIRPath (e.g. status)'}</label>
        <input
          id={`${id}-path`}
          class="mono"
          value={pathOf(c)}
          onInput={(e) => onChange('hl7' in c ? { ...c, hl7: e.currentTarget.value } : { ...c, fhir: e.currentTarget.value })}
        />
      </div>
      <div class="field">
        <label for={`${id}-test`}>Test</label>
        <select id={`${id}-test`} value={test} onChange={(e) => onChange(withTest(c, e.currentTarget.value as Test, value))}>
          <option value="present">is present</option>
          <option value="absent">is absent</option>
          <option value="oneOf">is one of</option>
          <option value="matches">matches</option>
          <option value="inTable">is a key of lookup table</option>
        </select>
      </div>
      {test !== 'present' && test !== 'absent' && (
        <div class="field">
          <label for={`${id}-value`}>
            {test === 'oneOf' ? 'Values (comma separated)' : test === 'inTable' ? 'Lookup table (pinned below)' : 'Regular expression'}
          </label>
          {test === 'oneOf' ? (
            <ListInput
              id={`${id}-value`}
              className="mono"
              spaces={false}
              value={c.oneOf ?? []}
              onChange={(v) => onChange({ ...c, oneOf: v })}
            />
          ) : (
            <input id={`${id}-value`} class="mono" value={value} onInput={(e) => onChange(withTest(c, test, e.currentTarget.value))} />
          )}
        </div>
      )}
    </>
  );
}

/** A channel's filter: none (every accepted message goes on), or a condition built here. */
export function FilterBuilder({ filter, onChange }: { filter: Condition | undefined; onChange(f: Condition | undefined): void }) {
  return (
    <section class="filter" aria-labelledby="filter-title">
      <h3 id="filter-title">Filter</h3>
      <span class="check">
        <input
          id="filter-on"
          type="checkbox"
          checked={filter !== undefined}
          onChange={(e) => onChange(e.currentTarget.checked ? { hl7: 'PV1-2', oneOf: ['I'] } : undefined)}
        />
        <label for="filter-on">Only messages meeting a condition go on (the others are stored as filtered)</label>
      </span>
      {filter && <ConditionEditor c={filter} onChange={onChange} />}
    </section>
  );
}
