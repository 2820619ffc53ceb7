import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { createUser } from '../support/users.ts';
import { launchBrowser, openConsole, overflowsHorizontally, screenshot, signInAs } from './browser.ts';

/** A DFT with account `account` in PID-18. */
const dft = (controlId: string, account: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260320143000||DFT^P03|${controlId}|P|2.5.1\r` +
  `PID|1||5150^^^GENHOSP^MR||ROE^RITA${'|'.repeat(13)}${account}^^^GENHOSP^AN\rPV1|1|I${'|'.repeat(17)}V${controlId}\r` +
  `FT1|1|||20260320120000||CG|27447^KNEE^CPT|||1|99.00^USD\r`;

test('support searches the messages page by a search field the selected channel declares', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const channel = { ...testChannel({ erpUrl: erp.url }), searchFields: [{ name: 'account', hl7: 'PID-18.1' }] };
  const sb = await startTestEngine({ channels: [channel] });
  t.teardown(() => sb.close());
  await createUser(sb, { username: 'sam.support', role: 'support', phi: true });
  const client = await MllpTestClient.connect(sb.mllpPort);
  for (const [id, account] of [
    ['UIFS1', 'ACC-1001'],
    ['UIFS2', 'ACC-2002'],
  ] as const)
    t.is(field(await client.send(dft(id, account)), 'MSA', 1), 'AA');
  client.close();
  await waitFor('both delivered', () => erp.postings().length >= 2);

  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const support = await openConsole(browser, sb);
  const { page } = support;
  await signInAs(support, 'sam.support');
  await page.goto(`${support.base}/messages`);
  await page.getByRole('heading', { name: 'Messages' }).waitFor();
  t.is(await page.getByLabel('Search field').count(), 0, 'no field before a channel is chosen');
  await page.getByLabel('Channel').selectOption(channel.id);
  await page.getByLabel('Search field').selectOption('account');
  await page.getByLabel('Value of account').fill('ACC-2002');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/field=account&value=ACC-2002/);
  const rows = page.locator('table.list tbody tr');
  await waitFor('one message found', async () => (await rows.count()) === 1 && (await rows.first().innerText()).includes('UIFS2'));
  await page.getByText(/the last 7 days unless a range is given/).waitFor();
  t.false(await overflowsHorizontally(page));
  await screenshot(page, 'support-field-search');
  t.deepEqual(support.problems, []);
});
