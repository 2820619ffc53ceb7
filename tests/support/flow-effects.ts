import type { ExecutionContext } from 'ava';
import type { FlowPeers } from '../../peers/flow-peers.ts';
import type { PeerRequest } from '../../peers/http-peer.ts';
import { StepStatus } from '../../engine/flows/flow-states.ts';
import type { FlowInstance } from '../../engine/store/flows.store.ts';

/**
 * What the procedure flow's steps did at the development peers, by idempotency key
 * (`<instanceId>:<stepId>`): when the key first arrived, when it first took effect, and the
 * distinct bodies it came with. A POST took effect at the first request that reached its handler
 * (a simulated failure or hang answers before the body is read, so those have none); a GET (the
 * encounter lookup) has no effect and counts from its first arrival; a bill posting from the ERP
 * simulator's receipt (it keeps no arrival time per key, and counts the repeats of a key whose body
 * changed itself).
 */
export interface StepTrace {
  firstAt: Map<string, number>;
  effectAt: Map<string, number>;
  /** The distinct JSON bodies each POST key reached a handler with. */
  bodies: Map<string, Set<string>>;
}

export function traceSteps(p: FlowPeers['procedure']): StepTrace {
  const trace: StepTrace = { firstAt: new Map(), effectAt: new Map(), bodies: new Map() };
  const earliest = (m: Map<string, number>, key: string, at: number) => m.set(key, Math.min(at, m.get(key) ?? at));
  const add = (r: PeerRequest) => {
    if (!r.key) return;
    earliest(trace.firstAt, r.key, r.at);
    if (r.method === 'GET') return void earliest(trace.effectAt, r.key, r.at);
    if (r.body === undefined) return;
    earliest(trace.effectAt, r.key, r.at);
    trace.bodies.set(r.key, (trace.bodies.get(r.key) ?? new Set()).add(JSON.stringify(r.body)));
  };
  for (const peer of [p.encounters, p.inventory, p.procurement, p.labour]) peer.requests().forEach(add);
  for (const posting of p.erp.postings()) {
    const at = Date.parse(posting.receivedAt);
    earliest(trace.firstAt, posting.idempotencyKey, at);
    earliest(trace.effectAt, posting.idempotencyKey, at);
  }
  return trace;
}

/** The procedure's dependencies: each step with those it needs. */
const NEEDS: Record<string, string[]> = {
  'post-inventory': ['validate-encounter'],
  'allocate-labour': ['validate-encounter'],
  reorder: ['post-inventory'],
  bill: ['post-inventory', 'allocate-labour'],
};

/**
 * Checks one completed instance against the trace: every step done, every step but a reorder above the level reached
 * its peer under its key, none before each step it needs took effect; the reorder ran exactly when
 * inventory answered a stock below the level; the stored outputs are the peers' answers.
 */
export function checkInstance(t: ExecutionContext, i: FlowInstance, trace: StepTrace, p: FlowPeers['procedure']): void {
  const key = (step: string) => `${i._id}:${step}`;
  const notDone = Object.entries(i.steps).filter(([, s]) => s.status !== StepStatus.done);
  t.deepEqual(notDone, [], `${i._id}: every step done (a reorder above the level done without a call)`);
  const inventory = i.steps['post-inventory']!.output as { consumptionId: string; stockAfter: number; reorderLevel: number };
  const reorders = inventory.stockAfter < inventory.reorderLevel;
  t.is(trace.firstAt.has(key('reorder')), reorders, `${i._id}: a reorder exactly when the stock fell below its level`);
  for (const [step, needs] of Object.entries(NEEDS)) {
    const first = trace.firstAt.get(key(step));
    if (step === 'reorder' && !reorders) continue;
    t.truthy(first, `${key(step)} reached its peer`);
    for (const need of needs) {
      const ready = trace.effectAt.get(key(need));
      t.true(ready !== undefined && ready <= first!, `${key(step)} not before ${need} took effect`);
    }
  }
  const labour = p.labour.records().find((r) => r.key === key('allocate-labour'));
  t.is(labour?.computed.amount, (i.steps['allocate-labour']!.output as { amount: number }).amount, `${i._id}: labour amount stored`);
  const bill = p.erp.postings().find((b) => b.idempotencyKey === key('bill'));
  const event = (bill?.body as { event?: Record<string, unknown> } | undefined)?.event;
  t.is(event?.labourAmount, labour?.computed.amount, `${i._id}: billed the labour amount the peer answered`);
}

/**
 * Checks the peers' effects over all instances: each key took effect at most once and under one
 * body, every effect under a key of these instances, each instance's consumption exactly once (the
 * stock down by exactly what was consumed), one labour allocation and one bill each, one reorder per
 * instance that fell below the level.
 */
export function checkEffects(t: ExecutionContext, instances: readonly FlowInstance[], trace: StepTrace, p: FlowPeers['procedure']): void {
  const keys = new Set(instances.flatMap((i) => Object.keys(i.steps).map((s) => `${i._id}:${s}`)));
  const foreign = [...trace.firstAt.keys()].filter((k) => k.includes(':procedure:') && !keys.has(k));
  t.deepEqual(foreign, [], 'no step reached a peer under a key of no instance');
  const twoBodies = [
    ...[...trace.bodies].filter(([, bodies]) => bodies.size > 1).map(([k]) => k),
    ...p.erp
      .postings()
      .filter((b) => b.changedBodies > 0)
      .map((b) => b.idempotencyKey),
  ];
  t.deepEqual(twoBodies, [], 'no key reached a peer with two different bodies');

  const consumed = instances.map((i) => (i.steps['post-inventory']!.output as { consumptionId: string }).consumptionId);
  const consumptions = p.inventory.consumptions();
  t.is(new Set(consumed).size, instances.length, 'each instance stored a consumption of its own');
  t.deepEqual(consumptions.map((c) => c.consumptionId).sort(), [...consumed].sort(), 'inventory consumed once per instance, no more');
  const once = (name: string, records: readonly { key: string | undefined }[], expected: number) => {
    t.is(records.length, expected, `${name}: one record per instance that ran the step`);
    t.is(new Set(records.map((r) => r.key)).size, records.length, `${name}: no key recorded twice`);
  };
  const below = instances.filter((i) => {
    const o = i.steps['post-inventory']!.output as { stockAfter: number; reorderLevel: number };
    return o.stockAfter < o.reorderLevel;
  });
  once('labour', p.labour.records(), instances.length);
  once('procurement', p.procurement.records(), below.length);
  const bills = p.erp.postings().filter((b) => b.idempotencyKey.endsWith(':bill'));
  once(
    'ERP bills',
    bills.map((b) => ({ key: b.idempotencyKey })),
    instances.length,
  );
}

/** For the log: how many requests each peer got for how many step keys, and how many failures it simulated. */
export function traffic(p: FlowPeers['procedure']): string {
  const peers = { encounters: p.encounters, inventory: p.inventory, procurement: p.procurement, labour: p.labour };
  const sent = Object.entries(peers).map(([name, peer]) => {
    const keyed = peer.requests().filter((r) => r.key?.includes(':procedure:'));
    return `${name} ${keyed.length} requests for ${new Set(keyed.map((r) => r.key)).size} keys (${peer.failures().length} failed)`;
  });
  return `${sent.join(', ')}, ERP ${p.erp.failures().length} failed`;
}
