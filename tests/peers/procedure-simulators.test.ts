import test from 'ava';
import { startInventorySimulator } from '../../peers/inventory-simulator.ts';
import { startEncounterSimulator, startLabourSimulator, startProcurementSimulator } from '../../peers/procedure-simulators.ts';

const post = (url: string, key: string | undefined, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });

const gauze = { item: 'GAUZE-10', stock: 12, reorderLevel: 10 };

test('inventory: a consumption lowers the stock and answers the stock after it and the reorder level', async (t) => {
  const inv = await startInventorySimulator({ items: [gauze] });
  t.teardown(() => inv.close());
  const r = await post(`${inv.url}/consumptions`, 'f1:inventory', { item: 'GAUZE-10', quantity: 3, location: 'OR-2' });
  t.is(r.status, 201);
  t.deepEqual(await r.json(), {
    consumptionId: 'CON-000001',
    item: 'GAUZE-10',
    quantity: 3,
    location: 'OR-2',
    stockAfter: 9,
    reorderLevel: 10,
  });
  t.is(inv.stock('GAUZE-10'), 9);
  t.deepEqual(await (await fetch(`${inv.url}/items/GAUZE-10`)).json(), { item: 'GAUZE-10', stock: 9, reorderLevel: 10 });
});

test('inventory: the same key again answers the same bytes and consumes once', async (t) => {
  const inv = await startInventorySimulator({ items: [gauze] });
  t.teardown(() => inv.close());
  const body = { item: 'GAUZE-10', quantity: 2, location: 'OR-2' };
  const a = await (await post(`${inv.url}/consumptions`, 'f1:inventory', body)).text();
  const b = await (await post(`${inv.url}/consumptions`, 'f1:inventory', body)).text();
  t.is(b, a);
  t.is(inv.stock('GAUZE-10'), 10);
  t.is(inv.consumptions().length, 1);
  t.is(inv.deliveries('f1:inventory'), 2);
});

test('inventory: unknown item 422, too much 409, malformed 400, no key 400; the stock untouched', async (t) => {
  const inv = await startInventorySimulator();
  t.teardown(() => inv.close());
  inv.seed(gauze);
  const unknown = await post(`${inv.url}/consumptions`, 'k1', { item: 'NOPE', quantity: 1, location: 'OR-2' });
  t.is(unknown.status, 422);
  t.deepEqual(await unknown.json(), { error: 'unknown item', item: 'NOPE' });
  t.is((await post(`${inv.url}/consumptions`, 'k2', { item: 'GAUZE-10', quantity: 13, location: 'OR-2' })).status, 409);
  t.is((await post(`${inv.url}/consumptions`, 'k3', { item: 'GAUZE-10', quantity: 0, location: 'OR-2' })).status, 400);
  t.is((await post(`${inv.url}/consumptions`, undefined, { item: 'GAUZE-10', quantity: 1, location: 'OR-2' })).status, 400);
  t.is(inv.stock('GAUZE-10'), 12);
  t.is((await fetch(`${inv.url}/items/NOPE`)).status, 404);
});

test('inventory: reversal restores the stock once; an unknown consumption is 404', async (t) => {
  const inv = await startInventorySimulator({ items: [gauze] });
  t.teardown(() => inv.close());
  const { consumptionId } = (await (
    await post(`${inv.url}/consumptions`, 'f1:inventory', { item: 'GAUZE-10', quantity: 5, location: 'OR-2' })
  ).json()) as { consumptionId: string };
  const undo = await post(`${inv.url}/consumptions/${consumptionId}/reverse`, 'f1:inventory:undo', {});
  t.is(undo.status, 200);
  t.deepEqual(await undo.json(), { consumptionId, reversed: true, stockAfter: 12 });
  const twice = await post(`${inv.url}/consumptions/${consumptionId}/reverse`, 'f1:inventory:undo-again', {});
  t.like(await twice.json(), { reversed: true, stockAfter: 12 });
  t.is(inv.stock('GAUZE-10'), 12);
  t.true(inv.consumptions()[0]?.reversed);
  t.is((await post(`${inv.url}/consumptions/CON-999999/reverse`, 'x', {})).status, 404);
});

test('inventory: fail and hang behaviours leave the stock alone until the retry goes through', async (t) => {
  const inv = await startInventorySimulator({ items: [gauze] });
  t.teardown(() => inv.close());
  inv.setBehaviour({ mode: 'fail', status: 503, times: 1, retryAfterSeconds: 1 });
  const body = { item: 'GAUZE-10', quantity: 1, location: 'OR-2' };
  t.is((await post(`${inv.url}/consumptions`, 'k', body)).status, 503);
  t.is(inv.stock('GAUZE-10'), 12);
  inv.setBehaviour({ mode: 'hang', times: 1 });
  const hung = fetch(`${inv.url}/consumptions`, {
    method: 'POST',
    headers: { 'idempotency-key': 'k' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(150),
  });
  t.is(
    await hung.then(
      () => 'answered',
      (e: unknown) => (e as Error).name,
    ),
    'TimeoutError',
  );
  t.is(inv.stock('GAUZE-10'), 12);
  t.is((await post(`${inv.url}/consumptions`, 'k', body)).status, 201);
  t.is(inv.stock('GAUZE-10'), 11);
  t.is(inv.deliveries('k'), 3);
});

test('encounter lookup: 200 with status and class; 404 when unknown', async (t) => {
  const ehr = await startEncounterSimulator({ encounters: [{ visitNumber: 'V100', status: 'in-progress', class: 'I', patientId: 'P1' }] });
  t.teardown(() => ehr.close());
  const r = await fetch(`${ehr.url}/encounters/V100`);
  t.is(r.status, 200);
  t.deepEqual(await r.json(), { visitNumber: 'V100', status: 'in-progress', class: 'I', patientId: 'P1' });
  t.is((await fetch(`${ehr.url}/encounters/V404`)).status, 404);
  ehr.seed({ visitNumber: 'V404', status: 'finished', class: 'O' });
  t.like(await (await fetch(`${ehr.url}/encounters/V404`)).json(), { status: 'finished' });
  t.deepEqual(
    ehr.requests().map((q) => q.path),
    ['/encounters/V100', '/encounters/V404', '/encounters/V404'],
  );
});

test('procurement: a reorder request is recorded with an id, once per key; 400 names missing fields; DELETE cancels', async (t) => {
  const proc = await startProcurementSimulator();
  t.teardown(() => proc.close());
  const body = { item: 'GAUZE-10', quantity: 50, location: 'OR-2' };
  const a = await post(`${proc.url}/reorder-requests`, 'f1:reorder', body);
  t.is(a.status, 201);
  const text = await a.text();
  t.deepEqual(JSON.parse(text), { requestId: 'REQ-000001', status: 'created' });
  t.is(await (await post(`${proc.url}/reorder-requests`, 'f1:reorder', body)).text(), text);
  t.is(proc.records().length, 1);
  t.deepEqual(proc.records()[0]?.body, body);
  t.is(proc.records()[0]?.key, 'f1:reorder');
  const bad = await post(`${proc.url}/reorder-requests`, 'f2:reorder', { item: 'GAUZE-10' });
  t.is(bad.status, 400);
  t.deepEqual(await bad.json(), { error: 'missing fields', fields: ['quantity', 'location'] });
  t.is((await post(`${proc.url}/reorder-requests`, 'f3:reorder', { ...body, quantity: -1 })).status, 400);
  t.is(proc.records().length, 1);
  t.is((await fetch(`${proc.url}/reorder-requests/REQ-000001`, { method: 'DELETE' })).status, 204);
  t.is(proc.records()[0]?.status, 'cancelled');
  t.is((await fetch(`${proc.url}/reorder-requests/REQ-000009`, { method: 'DELETE' })).status, 404);
});

test('labour: an allocation answers its id and the amount at the performer rate', async (t) => {
  const labour = await startLabourSimulator({ rates: { 'DR-7': 200 } });
  t.teardown(() => labour.close());
  const r = await post(`${labour.url}/allocations`, 'f1:labour', { performer: 'DR-7', durationMinutes: 45, costCenter: 'CC-OR' });
  t.is(r.status, 201);
  t.deepEqual(await r.json(), { allocationId: 'ALLOC-000001', status: 'created', amount: 150, currency: 'EUR' });
  const other = await post(`${labour.url}/allocations`, 'f2:labour', { performer: 'RN-1', durationMinutes: 30, costCenter: 'CC-OR' });
  t.like(await other.json(), { allocationId: 'ALLOC-000002', amount: 60 });
  const bad = await post(`${labour.url}/allocations`, 'f3:labour', { performer: 'RN-1', durationMinutes: 'long', costCenter: 'CC-OR' });
  t.is(bad.status, 400);
  t.deepEqual(await bad.json(), { error: 'durationMinutes must be a number above 0' });
  t.is(labour.records().length, 2);
});
