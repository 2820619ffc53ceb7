import test from 'ava';
import { FlowStatus, StepStatus } from '../../engine/flows/flow-states.ts';
import { MllpTestClient } from '../support/mllp-client.ts';
import { waitFor } from '../support/harness.ts';
import { apiCall } from '../support/admin-api.ts';
import type { FlowView } from '../../engine/flows/flow-view.ts';
import { instancesIn, startProcedure } from '../support/flow-procedure.ts';
import { procedureDft } from '../../peers/procedure-dft.ts';

const LINES = [
  // 12 in stock, reorder level 10: 3 used leaves 9, below the level: a reorder of 10.
  { code: 'GAUZE-10X10', quantity: 3, department: 'OR', performer: 'DR-ANDERS' },
  // 40 in stock: 2 used leaves 38, no reorder.
  { code: 'SUTURE-3-0', quantity: 2, department: 'OR', performer: 'DR-ANDERS' },
];

test('the procedure flow over MLLP: steps in dependency order, later steps get earlier outputs, one key per step', async (t) => {
  const { peers, engine } = await startProcedure(t);
  const client = await MllpTestClient.connect(engine.mllpPort);
  t.teardown(() => client.close());
  const ack = await client.send(procedureDft('PROC-1', LINES));
  t.regex(ack, /MSA\|AA\|PROC-1/);

  const done = await instancesIn(engine, FlowStatus.completed, 2);
  const p = peers.procedure;
  const byKey = new Map<string, number>();
  const arrival = (requests: { key: string | undefined; at: number }[]) => requests.forEach((r) => r.key && byKey.set(r.key, r.at));
  arrival(p.encounters.requests());
  arrival(p.inventory.requests());
  arrival(p.procurement.requests());
  arrival(p.labour.requests());
  for (const posting of p.erp.postings()) byKey.set(posting.idempotencyKey, Date.parse(posting.receivedAt));

  for (const instance of done) {
    const at = (step: string) => byKey.get(`${instance._id}:${step}`);
    const gauze = instance.eventIndex === 0;
    t.truthy(at('validate-encounter'), 'the encounter was looked up under the step key');
    t.true(at('validate-encounter')! <= at('post-inventory')!, 'inventory after the encounter check');
    t.true(at('validate-encounter')! <= at('allocate-labour')!, 'labour after the encounter check');
    t.true(at('post-inventory')! <= at('bill')! && at('allocate-labour')! <= at('bill')!, 'billing after inventory and labour');
    if (gauze) t.true(at('post-inventory')! <= at('reorder')!, 'the reorder after the posting it reads');
    else t.is(at('reorder'), undefined, 'no reorder above the level');
    t.is(instance.steps.reorder!.status, StepStatus.done);
  }

  const reorders = p.procurement.requests().filter((r) => r.method === 'POST');
  t.is(reorders.length, 1, 'one reorder: only the gauze fell below its level');
  t.like(reorders[0]!.body as object, { item: 'GAUZE-10X10', quantity: 10, stockAfter: 9, location: 'OR' });
  const bills = p.erp.postings().filter((b) => b.idempotencyKey.endsWith(':bill'));
  t.is(bills.length, 2);
  for (const bill of bills) {
    const event = (bill.body as { event: Record<string, unknown> }).event;
    t.is(typeof event.labourAmount, 'number', 'billing got the amount the labour step returned');
    t.is(event.visitNumber, 'V1001', 'billing posts to the visit’s account');
  }
  const sent = JSON.stringify(
    [p.encounters, p.inventory, p.procurement, p.labour].map((peer) => peer.requests().map((r) => [r.path, r.body])),
  );
  t.false(/MPROC-1|DOE|JANE/.test(sent + JSON.stringify(bills)), 'no direct identifier reached a step (default data policy)');
  const stepKeys = [...byKey.keys()].filter((k) => k.includes(':procedure:'));
  t.is(stepKeys.length, 2 * 5 - 1, 'five steps per instance, the reorder once');
  for (const key of stepKeys) t.regex(key, /^[^:]+:procedure:[01]:[a-z-]+$/, 'key <message>:<flow>:<event>:<step>');

  const flows = (await apiCall(engine, 'GET', '/api/flows')).body.flows as FlowView[];
  t.like(flows[0], { id: 'procedure', version: 1, counts: { completed: 2, running: 0 }, last24h: { started: 2, completed: 2 } });
  t.deepEqual(flows[0]!.steps.find((s) => s.id === 'bill')!.dependsOn, ['post-inventory', 'allocate-labour']);
  const asData = (await apiCall(engine, 'GET', '/api/flows/procedure')).body;
  t.like(asData, { id: 'procedure', version: 1, versions: [{ version: 1, origin: 'file' }] });

  // Counters are added after each step's write, without waiting: scrape until the last has landed.
  const sample = await waitFor('flow counters', async () => {
    const body = (await engine.engine.http!.inject({ method: 'GET', url: '/metrics', headers: engine.adminHeaders })).body;
    const read = (series: string) =>
      Number(
        body
          .split('\n')
          .find((l) => l.startsWith(`${series} `))
          ?.slice(series.length + 1),
      );
    return read('switchboard_flow_instances_completed_total{flow="procedure"}') === 2 && read;
  });
  t.is(sample('switchboard_flow_instances_started_total{flow="procedure"}'), 2);
  t.is(sample('switchboard_flow_steps_completed_total{flow="procedure",step="bill"}'), 2);
  t.is(sample('switchboard_flow_steps_started_total{flow="procedure",step="reorder"}'), 2, 'the reorder started twice, sent once');
  t.is(sample('switchboard_flow_step_duration_seconds_count{flow="procedure",step="post-inventory"}'), 2);
  t.is(sample('switchboard_flow_step_duration_seconds_bucket{flow="procedure",step="post-inventory",le="+Inf"}'), 2);
});
