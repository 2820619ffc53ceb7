import test from 'ava';
import fc from 'fast-check';
import procedure from '../../flows/procedure.flow.ts';
import type { FlowDefinition } from '../../engine/flows/flow-schema.ts';
import { StepStatus } from '../../engine/flows/flow-states.ts';
import {
  compensationOrder,
  flowStatus,
  initialSteps,
  readySteps,
  resolveRequest,
  stepsToPark,
  whenHolds,
  stepsToUnpark,
  type StepState,
} from '../../engine/flows/step-planner.ts';

const done = (output?: Record<string, unknown>): StepState => ({ status: StepStatus.done, attempts: 1, ...(output ? { output } : {}) });

test('steps become ready in dependency order; parallel branches together', (t) => {
  let steps: Record<string, StepState> = initialSteps(procedure);
  t.deepEqual(readySteps(procedure, steps), ['validate-encounter']);
  steps = { ...steps, 'validate-encounter': done() };
  t.deepEqual(readySteps(procedure, steps), ['post-inventory', 'allocate-labour']);
  steps = { ...steps, 'post-inventory': done(), 'allocate-labour': done() };
  t.deepEqual(readySteps(procedure, steps), ['reorder', 'bill']);
  steps = { ...steps, reorder: done(), bill: done() };
  t.is(flowStatus(procedure, steps), 'completed');
});

test('a dead step parks only its dependents; a retry sets them waiting again', (t) => {
  const steps: Record<string, StepState> = {
    ...initialSteps(procedure),
    'validate-encounter': done(),
    'post-inventory': { status: StepStatus.dead, attempts: 8, error: { code: 'PEER_REJECTED', detail: '422' } },
  };
  t.deepEqual(stepsToPark(procedure, steps), ['reorder', 'bill']);
  t.deepEqual(readySteps(procedure, steps), ['allocate-labour'], 'the other branch goes on');
  t.is(flowStatus(procedure, steps), 'stalled');
  const parked = { ...steps, reorder: { status: StepStatus.parked, attempts: 0 }, bill: { status: StepStatus.parked, attempts: 0 } };
  t.deepEqual(stepsToUnpark(procedure, parked, 'post-inventory'), ['reorder', 'bill']);
});

test('abort compensates the done steps that can be undone, latest first', (t) => {
  const f: FlowDefinition = structuredClone(procedure);
  f.steps.find((s) => s.id === 'allocate-labour')!.compensation = {
    connector: { kind: 'erp-rest', config: { baseUrl: 'http://127.0.0.1:9/labour/reversals' } },
    request: { allocationId: { ref: 'steps.allocate-labour.allocationId' } },
  };
  const steps = { ...initialSteps(f), 'validate-encounter': done(), 'post-inventory': done(), 'allocate-labour': done() };
  const order = compensationOrder(f, steps);
  t.deepEqual([...order].sort(), ['allocate-labour', 'post-inventory']);
  t.is(compensationOrder(f, { ...steps, 'allocate-labour': { status: StepStatus.dead, attempts: 3 } }).join(), 'post-inventory');
});

test('a request reads the event and earlier outputs; absent values are left out', (t) => {
  const reorder = procedure.steps.find((s) => s.id === 'reorder')!;
  const event = { code: 'SUP-STENT', quantity: 2 };
  const steps = { 'post-inventory': done({ consumptionId: 'c1', stockAfter: 3, reorderLevel: 5 }) };
  t.deepEqual(resolveRequest(reorder.request, { ...event, department: 'OR-2' }, steps), {
    item: 'SUP-STENT',
    quantity: 5,
    stockAfter: 3,
    location: 'OR-2',
  });
  t.deepEqual(resolveRequest(reorder.request, event, {}), { item: 'SUP-STENT' });
});

test('a dotted request field is nested; a list literal is copied; `__proto__` is a plain key', (t) => {
  const request = {
    schemas: { value: ['urn:ietf:params:scim:schemas:core:2.0:User'] },
    userName: { ref: 'event.personId' },
    'name.formatted': { ref: 'event.personName' },
    'name.givenName': { value: 'Alicia' },
    'meta.owner.id': { ref: 'steps.identity.id' },
    '__proto__.polluted': { value: true },
  };
  const out = resolveRequest(request, { personId: 'prac-1', personName: 'Dr Alicia Chen' }, { identity: done({ id: 'u1' }) });
  t.deepEqual(JSON.parse(JSON.stringify(out)), {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: 'prac-1',
    name: { formatted: 'Dr Alicia Chen', givenName: 'Alicia' },
    meta: { owner: { id: 'u1' } },
    ['__proto__']: { polluted: true },
  });
  t.not(out.schemas, request.schemas.value, 'the request does not share the definition’s list');
  t.is(({} as Record<string, unknown>).polluted, undefined, 'no prototype touched');
  t.deepEqual(resolveRequest({ 'name.formatted': { ref: 'event.personName' } }, {}, {}), {}, 'an absent value makes no object');
});

test('a step with `when` runs only when its value is below the limit (or one of the values named)', (t) => {
  const reorder = procedure.steps.find((s) => s.id === 'reorder')!;
  const after = (stockAfter: unknown, reorderLevel: unknown) => ({ 'post-inventory': done({ stockAfter, reorderLevel }) });
  t.true(whenHolds(reorder, {}, after(9, 10)), 'below the level: reorder');
  t.false(whenHolds(reorder, {}, after(10, 10)), 'at the level: no reorder');
  t.false(whenHolds(reorder, {}, after('9', 10)), 'not a number: no reorder');
  t.false(whenHolds(reorder, {}, {}), 'no answer: no reorder');
  const byClass = { ...reorder, when: { ref: 'event.encounter.patientClass', oneOf: ['I', 'E'] } };
  t.true(whenHolds(byClass, { encounter: { patientClass: 'I' } }, {}));
  t.false(whenHolds(byClass, { encounter: { patientClass: 'O' } }, {}));
  t.true(whenHolds({ ...reorder, when: undefined }, {}, {}), 'no condition: runs');
});

test('property: no step is ever ready before every step it depends on is done or skipped', (t) => {
  const ids = procedure.steps.map((s) => s.id);
  const state = fc.constantFrom<StepState['status']>(...Object.values(StepStatus));
  fc.assert(
    fc.property(fc.tuple(...ids.map(() => state)), (statuses) => {
      const steps = Object.fromEntries(ids.map((id, i) => [id, { status: statuses[i]!, attempts: 0 }]));
      const parked = stepsToPark(procedure, steps);
      for (const id of readySteps(procedure, steps)) {
        const step = procedure.steps.find((s) => s.id === id)!;
        t.true(
          step.dependsOn.every((d) => ['done', 'skipped'].includes(steps[d]!.status)),
          `${id} ready with ${JSON.stringify(statuses)}`,
        );
        t.false(parked.includes(id), `${id} both ready and parked with ${JSON.stringify(statuses)}`);
      }
    }),
    { numRuns: 2000 },
  );
});
