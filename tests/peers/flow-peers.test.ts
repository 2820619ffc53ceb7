import test from 'ava';
import net from 'node:net';
import { frame } from '../../connectors/mllp/mllp.framer.ts';
import { DEMO_SEED, startFlowPeers } from '../../peers/flow-peers.ts';
import { SCIM_USER } from '../../peers/scim-identity-simulator.ts';

const post = async (url: string, key: string, body: unknown) => {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'idempotency-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

/** Sends one framed HL7 message and resolves with the ACK text. */
function mllp(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(frame(Buffer.from(message))));
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('utf8');
      if (got.includes('\x1c')) socket.end(() => resolve(got.replace(/[\x0b\x1c\r]$/g, '')));
    });
    socket.on('error', reject);
  });
}

test('every peer of both scenarios starts on its own port, answers, and is gone after close()', async (t) => {
  const peers = await startFlowPeers();
  const http = [...Object.values(peers.urls.procedure), ...Object.values(peers.urls.onboarding)].filter((u) => u.startsWith('http'));
  t.is(http.length, 11);
  t.is(new Set(http).size, 11);
  t.regex(peers.urls.procedure.billingMllp, /^mllp:\/\/127\.0\.0\.1:\d+$/);
  for (const url of http) t.is((await fetch(`${url}/_sim/health`)).status, 200, url);
  await peers.close();
  for (const url of http) await t.throwsAsync(fetch(`${url}/_sim/health`), undefined, url);
});

test('the procedure scenario walks through its peers, seeded', async (t) => {
  const peers = await startFlowPeers(DEMO_SEED);
  t.teardown(() => peers.close());
  const { encounters, inventory, procurement, labour, erp, billingMllp } = peers.urls.procedure;
  const enc = await fetch(`${encounters}/encounters/V1001`);
  t.like(await enc.json(), { status: 'in-progress', class: 'I' });
  const used = await post(`${inventory}/consumptions`, 'p1:inventory', { item: 'GAUZE-10X10', quantity: 4, location: 'OR-1' });
  t.like(used.body, { stockAfter: 8, reorderLevel: 10 });
  const reorder = await post(`${procurement}/reorder-requests`, 'p1:procurement', { item: 'GAUZE-10X10', quantity: 50, location: 'OR-1' });
  t.is(reorder.status, 201);
  const cost = await post(`${labour}/allocations`, 'p1:labour', { performer: 'DR-1', durationMinutes: 90, costCenter: 'CC-OR' });
  t.like(cost.body, { allocationId: 'ALLOC-000001', amount: 180 });
  const posted = await post(`${erp}/api/postings`, 'p1:billing', { chargeCode: '27447' });
  t.is(posted.status, 201);
  const port = Number(billingMllp.split(':').pop());
  const dft = 'MSH|^~\\&|SB|HOSP|BILL|HOSP|20261207031500||DFT^P03|P1-BILL|P|2.5\rEVN|P03\rPID|1||MRN1\rFT1|1|||20261207||CG|27447';
  t.regex(await mllp(port, dft), /MSA\|AA\|P1-BILL/);
  t.is(peers.procedure.billingMllp.received().length, 1);
  t.is(peers.procedure.inventory.stock('GAUZE-10X10'), 8);
});

test('the onboarding scenario walks through its peers', async (t) => {
  const peers = await startFlowPeers();
  t.teardown(() => peers.close());
  const u = peers.urls.onboarding;
  const user = await post(`${u.identity}/Users`, 'o1:identity', { schemas: [SCIM_USER], userName: 'nnew', externalId: 'HR-7' });
  t.is(user.status, 201);
  const userId = String(user.body.id);
  const parallel = await Promise.all([
    post(`${u.scheduling}/schedules`, 'o1:scheduling', { userId, department: 'ICU' }),
    post(`${u.payroll}/employees`, 'o1:payroll', { userId, payGrade: 'N4' }),
    post(`${u.costCenter}/cost-center-assignments`, 'o1:cost-center', { userId, costCenter: 'CC-ICU' }),
  ]);
  t.deepEqual(
    parallel.map((r) => r.status),
    [201, 201, 201],
  );
  t.like((await post(`${u.credentialing}/credentialing-requests`, 'o1:credentialing', { userId, role: 'RN' })).body, {
    credentialingId: 'CRED-000001',
  });
  t.like((await post(`${u.approval}/approval-assignments`, 'o1:approval', { userId, costCenter: 'CC-ICU' })).body, {
    approvalId: 'APR-000001',
  });
  t.is(peers.onboarding.payroll.records()[0]?.body.userId, userId);
});
