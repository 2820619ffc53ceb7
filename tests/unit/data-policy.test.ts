import test from 'ava';
import { Type, type TSchema } from '@sinclair/typebox';
import { applyDataPolicy, DEFAULT_DATA_POLICY } from '../../engine/security/data-policy.ts';
import { isPhi, maskCanonical, MASK } from '../../engine/security/masking.ts';
import { ChargeEventV1 } from '../../transforms/canonical/charge-event.ts';
import { classifiedFields, identifiesAPerson, str } from '../../transforms/canonical/data-class.ts';
import { canonicalModels } from '../../transforms/canonical/index.ts';
import ehrFhir from '../../channels/ehr-fhir.channel.ts';
import ehrMllp from '../../channels/ehr-mllp.channel.ts';

const charge = {
  lineNumber: 1,
  transactionType: 'CG',
  code: '27447',
  codeSystem: 'http://www.ama-assn.org/go/cpt',
  quantity: 1,
  serviceDate: '2026-03-20T12:00:00',
  costCenter: 'COSTCTR-4410',
  encounter: { visitNumber: 'V00098765', patientClass: 'I' },
  patient: { mrn: '100234' },
  source: { channelId: 'c', messageType: 'DFT^P03', controlId: 'DFT0001', sendingApplication: 'EPIC', sendingFacility: 'GENHOSP' },
};

const get = (o: unknown, dotted: string): unknown =>
  dotted.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);

/** An event of `schema` with every field set, each leaf string to a value of its own (`<path>-value`). */
function fullEvent(schema: TSchema): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const f of classifiedFields(schema)) {
    const keys = f.path.split('.');
    let node = event;
    for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    const leaf = keys.reduce<TSchema>((s, k) => (s.properties as Record<string, TSchema>)[k]!, schema);
    node[keys.at(-1)!] = leaf.type === 'number' ? 42 : leaf.anyOf ? (leaf.anyOf as TSchema[])[0]!.const : `${f.path}-value`;
  }
  return event;
}

/** Every field of every model that identifies a person, derived from the model definitions. */
const identifierFields = [...canonicalModels].flatMap(([id, schema]) =>
  classifiedFields(schema)
    .filter((f) => f.dataClass && identifiesAPerson(f.dataClass))
    .map((f) => ({ id, ...f })),
);

test('the visit number, practitioner ids and the control id are indirect identifiers in every model that has them', (t) => {
  const classOf = (id: string, path: string) => classifiedFields(canonicalModels.get(id)!).find((f) => f.path === path)?.dataClass;
  for (const [id, path] of [
    ['EncounterEvent.v1', 'encounter.visitNumber'],
    ['EncounterEvent.v1', 'encounter.attendingId'],
    ['EncounterEvent.v1', 'source.controlId'],
    ['ChargeEvent.v1', 'encounter.visitNumber'],
    ['ChargeEvent.v1', 'performerId'],
    ['ChargeEvent.v1', 'source.controlId'],
    ['SupplyConsumptionEvent.v1', 'encounter.visitNumber'],
    ['SupplyConsumptionEvent.v1', 'source.controlId'],
    ['WorkforceEvent.v1', 'personId'],
    ['WorkforceEvent.v1', 'source.controlId'],
  ] as const) {
    t.is(classOf(id, path), 'indirect-identifier', `${id} ${path}`);
  }
  t.true(
    classifiedFields(ChargeEventV1).every((f) => f.dataClass !== undefined),
    'every field is classed',
  );
});

test('the default policy sends no field of either identifier class, in any model, and keeps every other field', (t) => {
  t.true(identifierFields.length >= 18, `${identifierFields.length} identifier fields`);
  for (const [id, schema] of canonicalModels) {
    const event = fullEvent(schema);
    const out = applyDataPolicy(schema, event, DEFAULT_DATA_POLICY);
    for (const f of classifiedFields(schema)) {
      if (f.dataClass && identifiesAPerson(f.dataClass)) {
        t.is(get(out, f.path), undefined, `${id} ${f.path} (${f.dataClass}) removed`);
        t.false(JSON.stringify(out).includes(`${f.path}-value`), `${id} ${f.path} nowhere in the payload`);
      } else {
        t.deepEqual(get(out, f.path), get(event, f.path), `${id} ${f.path} (${f.dataClass}) kept`);
      }
    }
  }
});

test('without the PHI permission, the canonical view masks every field of a PHI class (identifiers, clinical) and nothing else', (t) => {
  for (const [id, schema] of canonicalModels) {
    const event = fullEvent(schema);
    const [model, version] = id.split('.v') as [string, string];
    const [shown] = maskCanonical([{ model, modelVersion: Number(version), transformId: 't', transformVersion: 1, event }]);
    for (const f of classifiedFields(schema)) {
      const phi = f.dataClass === undefined || isPhi(f.dataClass);
      t.deepEqual(get(shown!.event, f.path), phi ? MASK : get(event, f.path), `${id} ${f.path} (${f.dataClass})`);
    }
  }
});

test('a pseudonymising policy replaces the MRN and the visit number with keyed pseudonyms and removes the other identifiers', (t) => {
  const key = Buffer.alloc(32, 1);
  const out = applyDataPolicy(
    ChargeEventV1,
    { ...charge, performerId: 'DR-77' },
    { allow: ['clinical', 'financial', 'operational'], pseudonymise: true },
    key,
  ) as Record<string, Record<string, unknown>>;
  t.regex(String(out.patient!.mrn), /^pk_[A-Za-z0-9_-]{32}$/);
  t.regex(String(out.encounter!.visitNumber), /^pk_[A-Za-z0-9_-]{32}$/);
  t.is(out.performerId, undefined);
  t.is(out.source!.controlId, undefined);
});

test('the demo channels allow their ERP the indirect identifiers it posts by (the visit number), never a direct one', (t) => {
  for (const channel of [ehrMllp, ehrFhir]) {
    for (const d of channel.destinations) {
      t.deepEqual(
        [...(d.dataPolicy?.allow ?? [])].sort(),
        ['clinical', 'financial', 'indirect-identifier', 'operational'],
        `${channel.id}/${d.id}`,
      );
      const out = applyDataPolicy(ChargeEventV1, charge, d.dataPolicy!) as Record<string, Record<string, unknown>>;
      t.is(out.encounter!.visitNumber, 'V00098765');
      t.is(out.patient, undefined);
    }
  }
});

test('the default policy removes direct identifiers and keeps the rest', (t) => {
  const out = applyDataPolicy(ChargeEventV1, charge, DEFAULT_DATA_POLICY) as Record<string, unknown>;
  t.is(out.patient, undefined);
  t.is(out.code, '27447');
  t.deepEqual(out.encounter, { patientClass: 'I' });
  t.false(JSON.stringify(out).includes('100234'));
  t.false(JSON.stringify(out).includes('V00098765'));
});

test('a policy that allows direct identifiers keeps them', (t) => {
  const out = applyDataPolicy(ChargeEventV1, charge, { allow: ['direct-identifier', 'financial', 'operational', 'clinical'] }) as Record<
    string,
    unknown
  >;
  t.deepEqual(out.patient, { mrn: '100234' });
});

test('fields the schema does not classify, or does not know, are removed (fail closed)', (t) => {
  const schema = Type.Object({ known: str('operational'), unclassified: Type.String() });
  t.deepEqual(applyDataPolicy(schema, { known: 'a', unclassified: 'b', extra: 'c' }, DEFAULT_DATA_POLICY), { known: 'a' });
});
