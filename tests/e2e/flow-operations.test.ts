import test from 'ava';
import { FlowStatus, StepStatus } from '../../engine/flows/flow-states.ts';
import type { InstanceDetail, InstanceSummary, RetryPreview } from '../../engine/flows/flow-view.ts';
import { apiCall } from '../support/admin-api.ts';
import { fastProcedure, instancesIn, startProcedure } from '../support/flow-procedure.ts';
import { procedureDft } from '../../peers/procedure-dft.ts';
import { MllpTestClient } from '../support/mllp-client.ts';
import { userSession } from '../support/users.ts';
import { startTestEngine, waitFor, type TestEngine } from '../support/harness.ts';

const GAUZE = { code: 'GAUZE-10X10', quantity: 3, department: 'OR', performer: 'DR-ANDERS' };

async function sendProcedure(engine: TestEngine, id: string): Promise<void> {
  const client = await MllpTestClient.connect(engine.mllpPort);
  try {
    const ack = await client.send(procedureDft(id, [GAUZE]));
    if (!ack.includes('MSA|AA')) throw new Error(`not accepted: ${ack}`);
  } finally {
    client.close();
  }
}

const statuses = (i: { steps: Record<string, { status: string }> }) =>
  Object.fromEntries(Object.entries(i.steps).map(([id, s]) => [id, s.status]));

test('a dead step parks only its dependents; after a fix, a retry (dry run first) completes the flow, audited', async (t) => {
  const { peers, engine } = await startProcedure(t);
  peers.procedure.labour.setBehaviour({ mode: 'fail', status: 400, times: -1 });
  await sendProcedure(engine, 'OPS-1');
  // Stalled as soon as the labour step is dead; the inventory branch goes on meanwhile.
  const [stalled] = await instancesIn(engine, FlowStatus.stalled, 1);
  const settled = await waitFor('the inventory branch done', async () => {
    const i = await engine.engine.store!.flows.get(stalled!._id);
    return i?.steps.reorder!.status === StepStatus.done ? i : undefined;
  });
  t.is(settled.status, FlowStatus.stalled);
  t.deepEqual(statuses(settled), {
    'validate-encounter': StepStatus.done,
    'post-inventory': StepStatus.done,
    reorder: StepStatus.done,
    'allocate-labour': StepStatus.dead,
    bill: StepStatus.parked,
  });

  const listed = await apiCall(engine, 'GET', '/api/flows/instances?flow=procedure&status=stalled&key=V1001');
  t.deepEqual(
    (listed.body.instances as InstanceSummary[]).map((i) => i.id),
    [stalled!._id],
    'found by status and business key',
  );
  t.deepEqual((await apiCall(engine, 'GET', '/api/flows/instances?key=V9999')).body.instances, []);
  const detail = (await apiCall(engine, 'GET', `/api/flows/instances/${stalled!._id}`)).body as unknown as InstanceDetail;
  t.is(detail.steps['allocate-labour']!.error!.code, 'PEER_REJECTED', 'which step failed and why');
  t.like(detail.steps['post-inventory']!.output, { stockAfter: 9, reorderLevel: 10 });

  const skipDone = await apiCall(engine, 'POST', `/api/flows/instances/${stalled!._id}/steps/reorder/skip`, { reason: 'not needed' });
  t.is(skipDone.status, 409, 'a done step cannot be skipped');
  const notDead = await apiCall(engine, 'POST', `/api/flows/instances/${stalled!._id}/steps/bill/retry`, { dryRun: false });
  t.is(notDead.status, 409, 'only a dead step is retried');

  const preview = await apiCall(engine, 'POST', `/api/flows/instances/${stalled!._id}/steps/allocate-labour/retry`, { dryRun: true });
  t.is(preview.status, 200);
  const diff = preview.body as unknown as RetryPreview;
  t.like(diff.after, { performer: 'DR-ANDERS', durationMinutes: 3, costCenter: 'CC-SURG' });
  t.deepEqual(diff.changes, [], 'nothing in the request changed: the fix was at the peer');

  peers.procedure.labour.setBehaviour({ mode: 'ok' });
  const retried = await apiCall(engine, 'POST', `/api/flows/instances/${stalled!._id}/steps/allocate-labour/retry`, { dryRun: false });
  t.is(retried.status, 202);
  const [completed] = await instancesIn(engine, FlowStatus.completed, 1);
  t.true(Object.values(completed!.steps).every((s) => s.status === StepStatus.done));
  t.is(peers.procedure.labour.records().filter((r) => r.status === 'created').length, 1);
  t.is(peers.procedure.erp.postings().filter((p) => p.idempotencyKey === `${stalled!._id}:bill`).length, 1);

  const audit = await apiCall(engine, 'GET', '/api/audit?action=flow.retry');
  t.like((audit.body.items as Record<string, unknown>[])[0], {
    actor: 'admin',
    target: `flow-instance:${stalled!._id}`,
    details: { flow: 'procedure', step: 'allocate-labour' },
  });
});

test('abort runs the compensations of the done steps, latest first; a viewer sees the steps masked and cannot act', async (t) => {
  const { peers, engine } = await startProcedure(t);
  // The ERP refuses the billing step's posting (it alone carries labourAmount), for good.
  peers.procedure.erp.rejectMatching('labourAmount');
  await sendProcedure(engine, 'OPS-2');
  // The bill is the last step: when it is dead, every other step is done.
  const [stalled] = await instancesIn(engine, FlowStatus.stalled, 1);
  t.is(stalled!.steps.bill!.status, StepStatus.dead);
  t.is(peers.procedure.inventory.stock('GAUZE-10X10'), 9);

  const viewer = await userSession(engine, { username: 'vera', role: 'viewer', phi: false });
  const masked = (await apiCall(engine, 'GET', `/api/flows/instances/${stalled!._id}`, undefined, viewer))
    .body as unknown as InstanceDetail;
  t.false(masked.canOperate);
  t.deepEqual(masked.steps['validate-encounter']!.request, { visitNumber: '***' }, 'values masked, fields kept');
  t.is(masked.steps.bill!.error!.code, 'PEER_REJECTED', 'the failure is still told');
  const refused = await apiCall(engine, 'POST', `/api/flows/instances/${stalled!._id}/abort`, { reason: 'viewer try' }, viewer);
  t.is(refused.status, 403);

  const aborted = await apiCall(engine, 'POST', `/api/flows/instances/${stalled!._id}/abort`, { reason: 'procedure cancelled' });
  t.is(aborted.status, 202);
  const [done] = await instancesIn(engine, FlowStatus.aborted, 1);
  t.deepEqual(statuses(done!), {
    'validate-encounter': StepStatus.done,
    'post-inventory': StepStatus.compensated,
    reorder: StepStatus.compensated,
    'allocate-labour': StepStatus.compensated,
    bill: StepStatus.dead,
  });
  t.is(peers.procedure.inventory.stock('GAUZE-10X10'), 12, 'the consumption was reversed');
  t.deepEqual(
    peers.procedure.procurement.records().map((r) => r.status),
    ['cancelled'],
  );
  t.deepEqual(
    peers.procedure.labour.records().map((r) => r.status),
    ['cancelled'],
  );

  const undoneAt = (requests: { method: string; path: string; at: number }[], match: (r: { method: string; path: string }) => boolean) =>
    requests.find(match)!.at;
  const labour = undoneAt(peers.procedure.labour.requests(), (r) => r.method === 'DELETE');
  const reorder = undoneAt(peers.procedure.procurement.requests(), (r) => r.method === 'DELETE');
  const inventory = undoneAt(peers.procedure.inventory.requests(), (r) => r.path.endsWith('/reverse'));
  t.true(labour <= reorder && reorder <= inventory, 'undone latest first: labour, the reorder, then the inventory posting it read');

  const again = await apiCall(engine, 'POST', `/api/flows/instances/${stalled!._id}/abort`, { reason: 'twice' });
  t.is(again.status, 409, 'an aborted instance is settled');
  const audit = await apiCall(engine, 'GET', '/api/audit?action=flow.abort');
  t.like((audit.body.items as Record<string, unknown>[])[0], { actor: 'admin', details: { reason: 'procedure cancelled' } });
});

test('an engine refuses to start with a flow whose steps form a cycle or name an unknown connector or output, naming them', async (t) => {
  const cyclic = structuredClone(fastProcedure());
  cyclic.steps.find((s) => s.id === 'validate-encounter')!.dependsOn = ['bill'];
  const err = await t.throwsAsync(startTestEngine({ channels: [], flows: [cyclic] }));
  t.regex(err!.message, /flows refused: flow procedure \/steps: the steps form a cycle .*validate-encounter → bill/);

  const unknownConnector = structuredClone(fastProcedure());
  unknownConnector.steps.find((s) => s.id === 'bill')!.connector = { kind: 'carrier-pigeon', config: {} };
  const err1 = await t.throwsAsync(startTestEngine({ channels: [], flows: [unknownConnector] }));
  t.regex(err1!.message, /flow procedure \/steps\/4\/connector\/kind: step bill names unknown connector carrier-pigeon/);

  const unknownOutput = structuredClone(fastProcedure());
  unknownOutput.steps.find((s) => s.id === 'reorder')!.request.stockAfter = { ref: 'steps.post-inventory.onHand' };
  const err2 = await t.throwsAsync(startTestEngine({ channels: [], flows: [unknownOutput] }));
  t.regex(
    err2!.message,
    /flow procedure \/steps\/2\/request\/stockAfter: step reorder, stockAfter: step post-inventory declares no output onHand/,
  );
});
