import test, { type ExecutionContext } from 'ava';
import { FlowStatus, StepStatus } from '../../engine/flows/flow-states.ts';
import type { FlowInstance } from '../../engine/store/flows.store.ts';
import type { FlowPeers } from '../../peers/flow-peers.ts';
import type { PeerRequest } from '../../peers/http-peer.ts';
import onboarding from '../../flows/onboarding.flow.ts';
import { SCIM_USER } from '../../peers/scim-identity-simulator.ts';
import { FHIR_TOKEN, practitionerRole, startOnboarding } from '../support/flow-onboarding.ts';
import { waitFor } from '../support/harness.ts';
import { apiCall } from '../support/admin-api.ts';
import type { AlertInstanceJson } from '../../engine/ops/alerts/alert-api-types.ts';

const STEPS = ['identity', 'scheduling', 'payroll', 'cost-center', 'credentialing', 'approval'] as const;
type Step = (typeof STEPS)[number];

/** Each step's simulator got one call, under the key `<instance>:<step>`, and no other: the call of each step. */
function oneCallPerStep(t: ExecutionContext, peers: FlowPeers, instanceId: string): Record<Step, PeerRequest> {
  const o = peers.onboarding;
  const peerOf = {
    identity: o.identity,
    scheduling: o.scheduling,
    payroll: o.payroll,
    'cost-center': o.costCenter,
    credentialing: o.credentialing,
    approval: o.approval,
  };
  const call = {} as Record<Step, PeerRequest>;
  for (const step of STEPS) {
    const key = `${instanceId}:${step}`;
    t.is(peerOf[step].deliveries(key), 1, `${step} called once under ${key}`);
    t.is(peerOf[step].requests().length, 1, `${step} called for nothing else`);
    call[step] = peerOf[step].requests()[0]!;
  }
  return call;
}

/** From the store: each step started only after every step it depends on had its answer. */
function storedInDependencyOrder(t: ExecutionContext, instance: FlowInstance): void {
  const endOf = (s: string) => instance.steps[s]!.startedAt!.getTime() + instance.steps[s]!.durationMs!;
  for (const step of onboarding.steps)
    for (const dep of step.dependsOn) t.true(endOf(dep) <= instance.steps[step.id]!.startedAt!.getTime(), `${step.id} after ${dep} ended`);
}

test('a PractitionerRole onboards: SCIM user, three systems in parallel, credentialing, approval last; one key per step', async (t) => {
  const { peers, engine, post } = await startOnboarding(t);
  const sent = await post(practitionerRole({ practitioner: 'prac-7788', name: 'Dr Alicia Chen' }));
  t.is(sent.status, 201, sent.body);

  const instance = await waitFor('the onboarding instance completed', async () => {
    const [found] = await engine.engine.store!.flows.list({ flowId: 'onboarding', limit: 10 });
    return found?.status === FlowStatus.completed ? found : undefined;
  });
  t.true(
    STEPS.every((s) => instance.steps[s]?.status === StepStatus.done),
    JSON.stringify(instance.steps),
  );
  const found = await engine.engine.store!.flows.list({ key: 'prac-7788', limit: 10 });
  t.deepEqual(
    found.map((i) => i._id),
    [instance._id],
    'found by the practitioner id',
  );

  const o = peers.onboarding;
  const call = oneCallPerStep(t, peers, instance._id);
  const at = (step: Step) => call[step].at;
  for (const s of ['scheduling', 'payroll', 'cost-center'] as const) {
    t.true(at('identity') <= at(s), `${s} after identity`);
    t.true(at(s) <= at('credentialing'), `credentialing after ${s}`);
  }
  t.true(
    STEPS.every((s) => at(s) <= at('approval')),
    'approval last',
  );

  storedInDependencyOrder(t, instance);

  const [user, ...others] = o.identity.users();
  t.is(others.length, 0);
  t.like(user, {
    schemas: [SCIM_USER],
    userName: 'prac-7788',
    externalId: 'prac-7788',
    name: { formatted: 'Dr Alicia Chen' },
    active: true,
  });
  const body = (step: Step) => call[step].body as Record<string, unknown>;
  for (const step of STEPS.slice(1)) t.is(body(step).userId, user!.id, `${step} files the clinician under the SCIM user id`);
  t.like(body('scheduling'), { department: 'Internal Medicine Department', role: '207R00000X', startDate: '2026-04-01' });
  t.like(body('payroll'), { payGrade: '207R00000X' });
  t.like(body('cost-center'), { costCenter: 'COSTCTR-2100' });
  t.like(body('credentialing'), { role: '207R00000X', practitionerId: 'prac-7788', name: 'Dr Alicia Chen' });
  t.like(body('approval'), {
    costCenter: 'COSTCTR-2100',
    assignmentId: o.costCenter.records()[0]!.id,
    credentialingId: o.credentialing.records()[0]!.id,
  });
  const unnamed = JSON.stringify(['scheduling', 'payroll', 'cost-center', 'approval'].map((s) => body(s as Step)));
  t.false(/prac-7788|Alicia|Chen/.test(unnamed), 'no identifier of the clinician beyond identity and credentialing');
});

test('an inactive PractitionerRole (an offboarding) starts no onboarding', async (t) => {
  const { peers, engine, post } = await startOnboarding(t);
  const sent = await post(practitionerRole({ practitioner: 'prac-9001', name: 'Dr Leaving', active: false }));
  t.is(sent.status, 201, sent.body);
  // Instances are stored with the message, before it is answered: none now means none at all.
  t.deepEqual(await engine.engine.store!.flows.list({ flowId: 'onboarding', limit: 10 }), []);
  t.is(peers.onboarding.identity.requests().length, 0);
});

test('a FHIR transaction of two roles starts two onboardings; its retry starts none again', async (t) => {
  const { peers, engine } = await startOnboarding(t);
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    identifier: { system: 'urn:hr:batch', value: 'hires-2026-04' },
    entry: ['prac-1001', 'prac-1002'].map((id, i) => ({
      resource: practitionerRole({ practitioner: id, name: `Dr Test ${i}` }),
      request: { method: 'POST', url: 'PractitionerRole' },
    })),
  };
  const send = () =>
    engine.engine.http!.inject({
      method: 'POST',
      url: '/fhir/ehr-fhir',
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${FHIR_TOKEN}` },
      payload: JSON.stringify(bundle),
    });
  t.is((await send()).statusCode, 200);
  const done = await waitFor('two onboardings completed', async () => {
    const all = await engine.engine.store!.flows.list({ flowId: 'onboarding', limit: 10 });
    return all.length === 2 && all.every((i) => i.status === FlowStatus.completed) ? all : undefined;
  });
  t.is((await send()).statusCode, 200, 'the retry is answered as the first');
  t.is((await engine.engine.store!.flows.list({ flowId: 'onboarding', limit: 10 })).length, 2, 'no new instance');
  for (const i of done) t.is(peers.onboarding.identity.deliveries(`${i._id}:identity`), 1);
  t.is(peers.onboarding.identity.requests().length, 2);
});

test('an onboarding aborted after its approval was refused undoes every system, identity last; its alert fires and resolves', async (t) => {
  const { peers, engine, post } = await startOnboarding(t, { config: { ALERT_EVAL_INTERVAL_MS: 200 } });
  const o = peers.onboarding;
  const rule = { id: 'onboarding-stuck', kind: 'flow-step-dead', flowId: 'onboarding' };
  t.is((await apiCall(engine, 'POST', '/api/alert-rules', rule)).status, 201);
  t.is((await apiCall(engine, 'POST', '/api/alert-rules/onboarding-stuck/deploy', {})).status, 200);
  const alert = async (state: string) =>
    ((await apiCall(engine, 'GET', `/api/alerts/history?ruleId=onboarding-stuck&state=${state}`)).body.items as AlertInstanceJson[])[0];
  o.approval.setBehaviour({ mode: 'fail', status: 400, times: -1 });
  t.is((await post(practitionerRole({ practitioner: 'prac-5150', name: 'Dr Short Stay' }))).status, 201);
  const stalled = await waitFor('the approval dead', async () => {
    const [i] = await engine.engine.store!.flows.list({ flowId: 'onboarding', limit: 1 });
    return i?.steps.approval!.status === StepStatus.dead ? i : undefined;
  });
  t.is(o.identity.users().length, 1);
  const fired = await waitFor('the flow-step-dead alert firing', () => alert('firing'));
  t.like(fired, { kind: 'flow-step-dead', subject: { flowId: 'onboarding' }, value: 1 });
  const abort = await engine.engine.http!.inject({
    method: 'POST',
    url: `/api/flows/instances/${stalled._id}/abort`,
    headers: engine.adminHeaders,
    payload: { reason: 'offer withdrawn' },
  });
  t.is(abort.statusCode, 202, abort.body);
  const aborted = await waitFor('aborted', async () => {
    const i = await engine.engine.store!.flows.get(stalled._id);
    return i?.status === FlowStatus.aborted ? i : undefined;
  });
  for (const step of ['identity', 'scheduling', 'payroll', 'cost-center', 'credentialing'])
    t.is(aborted.steps[step]!.status, StepStatus.compensated, step);
  t.is((await waitFor('the alert resolved once nothing is stalled', () => alert('resolved'))).id, fired.id);
  t.deepEqual(o.identity.users(), [], 'the SCIM user is deleted');
  const deletedAt = (peer: FlowPeers['onboarding'][keyof FlowPeers['onboarding']]) =>
    peer.requests().find((r) => r.method === 'DELETE')!.at;
  const credentialing = deletedAt(o.credentialing);
  for (const parallel of [o.scheduling, o.payroll, o.costCenter]) {
    t.true(credentialing <= deletedAt(parallel), 'credentialing, which followed them, undone first');
    t.true(deletedAt(parallel) <= deletedAt(o.identity), 'the identity they were filed under undone last');
  }
});
