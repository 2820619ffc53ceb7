import test from 'ava';
import procedure from '../../flows/procedure.flow.ts';
import { FlowStatus, StepStatus } from '../../engine/flows/flow-states.ts';
import { initialSteps } from '../../engine/flows/step-planner.ts';
import { Keyring } from '../../engine/security/encryption.ts';
import { flowInstanceId, FLOWS_COLLECTION, type FlowInstance } from '../../engine/store/flows.store.ts';
import { RecordSealer } from '../../engine/store/record-sealer.ts';
import { Store } from '../../engine/store/store.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { TEST_ENCRYPTION } from '../support/harness.ts';
import { sharedMongoUrl } from '../support/services.ts';

const instance = (messageId: string): FlowInstance => ({
  _id: flowInstanceId(messageId, procedure.id, 0),
  flowId: procedure.id,
  flowVersion: 1,
  messageId,
  channelId: 'ehr-mllp',
  eventIndex: 0,
  status: FlowStatus.running,
  steps: initialSteps(procedure),
  createdAt: new Date(),
  updatedAt: new Date(),
});

async function openStore(t: import('ava').ExecutionContext, sealer?: RecordSealer) {
  const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbflows'), ...(sealer ? { sealer } : {}) });
  await store.start();
  t.teardown(() => store.close());
  return store;
}

test('a flow instance is created once however often intake retries, and a step moves only from the states named', async (t) => {
  const store = await openStore(t);
  const first = instance('m1');
  await store.flows.create([first]);
  await store.flows.create([{ ...first, status: FlowStatus.completed }]);
  t.is((await store.flows.get(first._id))!.status, FlowStatus.running, 'the retry left the first as it was');

  const claim = () =>
    store.flows.transition({ id: first._id, stepId: 'validate-encounter', from: [StepStatus.waiting], to: StepStatus.running });
  const claims = await Promise.all([claim(), claim(), claim()]);
  t.is(claims.filter(Boolean).length, 1, 'three workers racing for a step: one wins');
  const output = { status: 'in-progress', patientClass: 'I' };
  t.true(
    await store.flows.transition({
      id: first._id,
      stepId: 'validate-encounter',
      from: [StepStatus.running],
      to: StepStatus.done,
      set: { attempts: 1, output },
    }),
  );
  const read = (await store.flows.get(first._id))!;
  t.deepEqual(read.steps['validate-encounter'], { status: StepStatus.done, attempts: 1, output });
  t.is(read.steps['post-inventory']!.status, StepStatus.waiting);
});

test('settling an instance takes it off the relay’s scan; one in flight is found once it is stale', async (t) => {
  const store = await openStore(t);
  const a = instance('m2');
  const b = instance('m3');
  await store.flows.create([a, b]);
  const later = new Date(Date.now() + 60_000);
  t.deepEqual((await store.flows.findUnsettled(later, 10)).map((i) => i._id).sort(), [a._id, b._id].sort());
  await store.flows.transition({
    id: a._id,
    stepId: 'bill',
    from: [StepStatus.waiting],
    to: StepStatus.done,
    status: FlowStatus.completed,
  });
  t.deepEqual(
    (await store.flows.findUnsettled(later, 10)).map((i) => i._id),
    [b._id],
  );
  t.deepEqual((await store.flows.findUnsettled(new Date(0), 10)).length, 0, 'none is stale yet');
  t.deepEqual(
    (await store.flows.list({ flowId: 'procedure', status: FlowStatus.completed, limit: 5 })).map((i) => i._id),
    [a._id],
  );
});

test('step outputs are sealed at rest when encrypting, and read back opened', async (t) => {
  const store = await openStore(t, new RecordSealer({ keyring: Keyring.parse(TEST_ENCRYPTION.ENCRYPTION_KEYS) }));
  const i = instance('m4');
  await store.flows.create([
    { ...i, steps: { ...i.steps, 'validate-encounter': { status: StepStatus.done, attempts: 1, output: { mrn: 'SECRET-MRN-1' } } } },
  ]);
  await store.flows.transition({
    id: i._id,
    stepId: 'post-inventory',
    from: [StepStatus.waiting],
    to: StepStatus.done,
    set: { attempts: 1, output: { patient: 'SECRET-NAME-2' } },
  });
  const raw = JSON.stringify(await store.collection(FLOWS_COLLECTION).findOne({ _id: i._id as never }));
  t.false(raw.includes('SECRET-'), 'no output in clear text');
  const read = (await store.flows.get(i._id))!;
  t.deepEqual(read.steps['validate-encounter']!.output, { mrn: 'SECRET-MRN-1' });
  t.deepEqual(read.steps['post-inventory']!.output, { patient: 'SECRET-NAME-2' });
});
