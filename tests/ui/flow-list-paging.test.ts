import test from 'ava';
import { FlowStatus, StepStatus } from '../../engine/flows/flow-states.ts';
import type { FlowInstance } from '../../engine/store/flows.store.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { createUser } from '../support/users.ts';
import { launchBrowser, openConsole, signInAs } from './browser.ts';

/** The flows page lists 100 instances at a time; "Older instances" adds the next page until none is left. */
test('support pages through 130 stalled instances: 100, then the 30 older ones, then no more button', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
  t.teardown(() => sb.close());
  const start = Date.now() - 200 * 60_000;
  const seeded: FlowInstance[] = Array.from({ length: 130 }, (_, n) => ({
    _id: `msg-${String(n).padStart(3, '0')}:paged-flow:0`,
    flowId: 'paged-flow',
    flowVersion: 1,
    messageId: `msg-${String(n).padStart(3, '0')}`,
    channelId: 'ehr-mllp',
    eventIndex: 0,
    status: FlowStatus.stalled,
    steps: { only: { status: StepStatus.dead, attempts: 3 } },
    createdAt: new Date(start + n * 60_000),
    updatedAt: new Date(start + n * 60_000),
  }));
  t.is((await sb.engine.store!.flows.create(seeded)).length, 130);
  await createUser(sb, { username: 'sam.support', role: 'support' });

  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const support = await openConsole(browser, sb);
  const { page } = support;
  await signInAs(support, 'sam.support');
  await page.goto(`${support.base}/flows?status=stalled`);
  const rows = page.locator('table.instances tbody tr');
  const older = page.getByRole('button', { name: 'Older instances' });
  await older.waitFor();
  t.is(await rows.count(), 100);
  t.regex(await rows.first().innerText(), /msg-129/, 'newest first');
  await older.click();
  await waitFor('the older 30 added', async () => (await rows.count()) === 130);
  t.regex(await rows.last().innerText(), /msg-000/, 'down to the oldest');
  t.is(await older.count(), 0, 'no older page left');
  t.deepEqual(support.problems, []);
});
