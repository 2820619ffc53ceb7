import test from 'ava';
import type { ChannelDefinition } from '../../engine/channel.ts';
import { validateChannel } from '../../engine/channels/channel-schema.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { connectors } from '../../connectors/index.ts';
import { toFhir } from '../../connectors/fhir/fhir.outbound-mapping.ts';
import { toHl7 } from '../../connectors/mllp/mllp.outbound-mapping.ts';
import { CanonicalModelName } from '../../transforms/canonical/index.ts';
import { transforms } from '../../transforms/index.ts';

const channel = (models: string[]): ChannelDefinition => ({
  id: 'billing',
  source: { kind: 'mllp', host: '127.0.0.1', port: 0 },
  accept: ['DFT^P03'],
  transforms: ['hl7v2.dft-to-charges', 'hl7v2.dft-to-supply'],
  destinations: [
    { id: 'erp', kind: 'erp-rest', config: { baseUrl: 'http://127.0.0.1:8090' }, models: ['ChargeEvent', 'SupplyConsumptionEvent'] },
    { id: 'billing', kind: 'mllp-out', config: { host: '127.0.0.1', port: 2576 }, models },
  ],
});
const validate = (c: ChannelDefinition) => validateChannel({ channel: c, connectors, transforms, env: {}, allowedHosts: ['127.0.0.1'] });

test('a destination naming a model its connector cannot send is refused at that model, with what the connector sends', (t) => {
  t.deepEqual(validate(channel(['ChargeEvent'])), []);
  t.deepEqual(validate(channel(['ChargeEvent', 'SupplyConsumptionEvent'])), [
    { path: '/destinations/1/models/1', message: 'mllp-out cannot send SupplyConsumptionEvent; it sends ChargeEvent, EncounterEvent' },
  ]);
  t.deepEqual(validate(channel(['ChargeEvnt'])), [{ path: '/destinations/1/models/0', message: 'no canonical model ChargeEvnt' }]);
});

test('every connector declares the models it can send, each a canonical model', (t) => {
  for (const d of connectors.destinations) {
    t.true(d.models.length > 0, d.kind);
    t.true(
      d.models.every((m) => Object.values<string>(CanonicalModelName).includes(m)),
      d.kind,
    );
  }
});

/** The declarations match the mappings: a declared model maps, any other is a permanent failure. */
test('mllp-out and fhir-out declare exactly the models their mappings handle', (t) => {
  const header = { controlId: 'C1', sendingApplication: 'SB', sendingFacility: '', receivingApplication: '', receivingFacility: '' };
  const mappings = {
    'mllp-out': (model: string) => toHl7({ model, modelVersion: 1, event: {} }, header),
    'fhir-out': (model: string) => toFhir({ model, modelVersion: 1, event: {} }, 'k'),
  };
  for (const [kind, map] of Object.entries(mappings)) {
    const declared = connectors.destination(kind)!.models;
    for (const model of Object.values(CanonicalModelName)) {
      if (declared.includes(model)) t.notThrows(() => map(model), `${kind} maps ${model}`);
      else t.is(t.throws(() => map(model), { instanceOf: SwitchboardError })?.code, 'CANONICAL_INVALID', `${kind} refuses ${model}`);
    }
  }
});

test('fhir-out writes no reference or identifier for an indirect identifier the default policy removed', (t) => {
  const filtered = [
    {
      model: 'ChargeEvent',
      event: {
        code: '27447',
        codeSystem: 'http://www.ama-assn.org/go/cpt',
        quantity: 1,
        serviceDate: '2026-03-20',
        transactionType: 'CG',
        encounter: { patientClass: 'I' },
      },
    },
    {
      model: 'EncounterEvent',
      event: { eventType: 'admit', occurredAt: '2026-03-20', encounter: { patientClass: 'I', admittedAt: '2026-03-20' } },
    },
    { model: 'WorkforceEvent', event: { eventType: 'onboard', roleCode: 'RN', startDate: '2026-03-20' } },
  ];
  for (const { model, event } of filtered) {
    const resource = JSON.stringify(toFhir({ model, modelVersion: 1, event }, 'm1:fhir'));
    t.notRegex(resource, /undefined|\{\}/, model);
  }
  t.deepEqual(
    (
      toFhir(
        {
          model: 'WorkforceEvent',
          modelVersion: 1,
          event: { eventType: 'onboard', personId: 'P7', roleCode: 'RN', startDate: '2026-03-20' },
        },
        'k',
      ) as { practitioner?: unknown }
    ).practitioner,
    { reference: 'Practitioner/P7' },
  );
});
