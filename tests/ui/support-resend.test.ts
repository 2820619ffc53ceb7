import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { createUser } from '../support/users.ts';
import { launchBrowser, openConsole, overflowsHorizontally, screenshot, signInAs } from './browser.ts';

const dft = (amount: string) =>
  'MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260320143000||DFT^P03|UIRS1|P|2.5.1\r' +
  `PID|1||5150^^^GENHOSP^MR||ROE^RITA\rPV1|1|I${'|'.repeat(17)}VUIRS1\r` +
  `FT1|1|||20260320120000||CG|27447^KNEE^CPT|||1|${amount}^USD\r`;

test('support with PHI edits a delivered message and resends it; the new one links to the original with the diff', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
  t.teardown(() => sb.close());
  await createUser(sb, { username: 'sam.support', role: 'support', phi: true });
  await createUser(sb, { username: 'pat.support', role: 'support', phi: false });
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.is(field(await client.send(dft('9999.00')), 'MSA', 1), 'AA');
  client.close();
  const store = sb.engine.store!;
  const [original] = await waitFor('the original delivered', () =>
    store.messages.list({ status: 'delivered', limit: 5 }).then((m) => m.length === 1 && m),
  );

  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const noPhi = await openConsole(browser, sb);
  await signInAs(noPhi, 'pat.support');
  await noPhi.page.goto(`${noPhi.base}/messages/${original!._id}`);
  await noPhi.page.getByRole('heading', { name: `Message ${original!._id}` }).waitFor();
  t.is(await noPhi.page.getByText('Edit and resend…').count(), 0, 'no edit without the PHI permission');

  const support = await openConsole(browser, sb);
  const { page } = support;
  await signInAs(support, 'sam.support');
  await page.goto(`${support.base}/messages/${original!._id}`);
  await page.getByRole('heading', { name: `Message ${original!._id}` }).waitFor();
  await page.getByText('Edit and resend…').click();
  const text = page.getByLabel('Corrected message');
  await text.fill((await text.inputValue()).replace('9999.00^USD', '99.00^USD'));
  await page.getByLabel('Reason for the correction').fill('charge keyed as 9999.00 instead of 99.00');
  await page.getByRole('button', { name: 'Send corrected message' }).click();

  await page.getByRole('heading', { name: 'Correction' }).waitFor();
  const diff = page.getByLabel('Changes from the original');
  await diff.waitFor();
  t.regex(await diff.innerText(), /^- FT1\|.*9999\.00\^USD\n\+ FT1\|.*\|99\.00\^USD/m);
  const correctionId = page.url().split('/').at(-1)!;
  await waitFor('the correction delivered', async () => (await store.messages.get(correctionId))?.status === 'delivered');
  t.false(await overflowsHorizontally(page));
  await screenshot(page, 'support-message-correction');

  await page.getByRole('link', { name: original!._id }).click();
  await page.getByRole('heading', { name: `Message ${original!._id}` }).waitFor();
  await page.getByRole('link', { name: correctionId }).waitFor();
  t.deepEqual([...support.problems, ...noPhi.problems], []);
});
