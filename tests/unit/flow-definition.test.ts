import test from 'ava';
import onboarding from '../../flows/onboarding.flow.ts';
import procedure from '../../flows/procedure.flow.ts';
import { validateFlow } from '../../engine/flows/validate-flow.ts';
import type { FlowDefinition } from '../../engine/flows/flow-schema.ts';
import { connectors } from '../../wiring.ts';

const copy = (f: FlowDefinition): FlowDefinition => structuredClone(f);
const messages = (f: unknown) => validateFlow(f, { connectors, env: {} }).map((p) => `${p.path}: ${p.message}`);

test('the procedure seed flow is valid', (t) => {
  t.deepEqual(messages(procedure), []);
});

test('the onboarding seed flow is valid: identity, then three in parallel, then credentialing, then approval', (t) => {
  t.deepEqual(messages(onboarding), []);
  const deps = Object.fromEntries(onboarding.steps.map((s) => [s.id, s.dependsOn]));
  t.deepEqual(deps, {
    identity: [],
    scheduling: ['identity'],
    payroll: ['identity'],
    'cost-center': ['identity'],
    credentialing: ['scheduling', 'payroll', 'cost-center'],
    approval: ['scheduling', 'payroll', 'cost-center', 'credentialing'],
  });
  const allowed = (id: string) => onboarding.steps.find((s) => s.id === id)!.dataPolicy?.allow ?? [];
  for (const id of ['scheduling', 'payroll', 'cost-center', 'approval'])
    t.false(
      allowed(id).some((c) => c.endsWith('identifier')),
      `${id} gets no identifier of the clinician`,
    );
});

test('request fields nest by their dots; a field that is also the object of another, or an empty part, is refused', (t) => {
  const f = copy(onboarding);
  f.steps[0]!.request.name = { value: 'x' };
  f.steps[1]!.request['a..b'] = { value: 1 };
  t.deepEqual(messages(f), [
    '/steps/0/request/name: step identity, name: set as a value and as the object of name.formatted',
    '/steps/1/request/a..b: step scheduling, a..b: a dotted name with an empty part',
  ]);
});

test('a cycle of steps is refused, naming the steps in it', (t) => {
  const f = copy(procedure);
  f.steps.find((s) => s.id === 'validate-encounter')!.dependsOn = ['bill'];
  t.deepEqual(messages(f), [
    '/steps: the steps form a cycle (each depends on the next): validate-encounter → bill → post-inventory → validate-encounter',
  ]);
});

test('an unknown step, connector or output field is refused by name', (t) => {
  const f = copy(procedure);
  f.steps[1]!.dependsOn = ['validate-encounter', 'no-such-step'];
  t.deepEqual(messages(f), ['/steps/1/dependsOn/1: step post-inventory depends on unknown step no-such-step']);

  const g = copy(procedure);
  g.steps[4]!.connector = { kind: 'carrier-pigeon', config: {} };
  t.deepEqual(messages(g), ['/steps/4/connector/kind: step bill names unknown connector carrier-pigeon']);

  const h = copy(procedure);
  h.steps[2]!.request.stockAfter = { ref: 'steps.post-inventory.stockOnHand' };
  h.steps[4]!.request.visitNumber = { ref: 'event.encounter.visit' };
  t.deepEqual(messages(h), [
    '/steps/2/request/stockAfter: step reorder, stockAfter: step post-inventory declares no output stockOnHand',
    '/steps/4/request/visitNumber: step bill, visitNumber: the event has no field encounter.visit',
  ]);
});

test('a step may read only the outputs of steps it depends on; a compensation may read its own', (t) => {
  const f = copy(procedure);
  f.steps[3]!.request.stock = { ref: 'steps.post-inventory.stockAfter' };
  t.deepEqual(messages(f), [
    '/steps/3/request/stock: step allocate-labour, stock: reads step post-inventory, which it does not depend on (it may not have run)',
  ]);
  // bill depends on post-inventory through its dependsOn; reorder reads it directly; the reversal reads its own step.
  t.deepEqual(messages(procedure), []);
});

test('connector settings are checked against the connector’s schema, and a map step calls none', (t) => {
  const f = copy(procedure);
  f.steps[1]!.connector = { kind: 'http-json', config: { url: 42 } };
  f.steps[3]!.kind = 'map';
  const found = messages(f);
  t.true(
    found.some((m) => m.startsWith('/steps/1/connector/config: step post-inventory')),
    found.join('\n'),
  );
  t.true(found.includes('/steps/3/connector: step allocate-labour maps: it calls no connector'));
});
