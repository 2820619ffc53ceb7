import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { createUser } from '../support/users.ts';
import { launchBrowser, openConsole, overflowsHorizontally, screenshot, signInAs } from './browser.ts';

const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|${id}|P|2.5.1\rEVN|A01|20260315083000\r` +
  `PID|1||4711^^^GENHOSP^MR||ROE^RITA\rPV1|1|I|4W${'|'.repeat(16)}V${id}\r`;

test(
  'the dashboard charts messages per minute and errors per channel, shows each destination queue and ' +
    'its failures, and refreshes by itself',
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    erp.rejectMatching('VDASHBAD');
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
    t.teardown(() => sb.close());
    await createUser(sb, { username: 'val.viewer', role: 'viewer' });
    const client = await MllpTestClient.connect(sb.mllpPort);
    t.teardown(() => client.close());
    for (const id of ['DASH1', 'DASH2', 'DASHBAD']) t.is(field(await client.send(adt(id)), 'MSA', 1), 'AA');
    await waitFor(
      'two delivered, one dead',
      async () => erp.postings().length === 2 && (await sb.engine.store!.messages.list({ status: 'dead', limit: 1 })).length === 1,
    );

    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const viewer = await openConsole(browser, sb);
    const { page } = viewer;
    await signInAs(viewer, 'val.viewer');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

    const card = page.locator('.channel-card', { has: page.getByRole('heading', { name: 'ehr-mllp' }) });
    await card.getByText('3 received, 1 error in 15 min').waitFor();
    const bars = card.locator('svg.chart rect.bar');
    t.is(await bars.count(), 15, 'one bar per minute');
    const values = (await bars.evaluateAll((rects) => rects.map((r) => r.getAttribute('data-value')))).map(Number);
    t.is(
      values.reduce((a, b) => a + b, 0),
      3,
    );
    t.true((await card.locator('rect.bar-error').count()) >= 1);
    t.regex(await card.locator('.statuses').innerText(), /delivered 2[\s\S]*dead 1|dead 1[\s\S]*delivered 2/);

    const erpRow = page.locator('table.destinations tbody tr', { hasText: 'erp' });
    t.regex(await erpRow.innerText(), /erp\s+ehr-mllp\s+0\s+0\s+—\s+0\s+1\s+dead PEER_REJECTED 1/);
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'dashboard');

    // A new message shows up without reloading the page.
    t.is(field(await client.send(adt('DASH4')), 'MSA', 1), 'AA');
    await card.getByText('4 received, 1 error in 15 min').waitFor();
    t.deepEqual(viewer.problems, []);
  },
);
