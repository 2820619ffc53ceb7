import test from 'ava';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { createUser, TEST_PASSWORD } from '../support/users.ts';
import { launchBrowser, openConsole, overflowsHorizontally, screenshot } from './browser.ts';

const adt = (evn2: string) =>
  [
    'MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A03|BENCH1|P|2.5.1',
    `EVN|A03|${evn2}`,
    'PID|1||555^^^GENHOSP^MR||POE^ANA',
    `PV1|1|O|CLINIC${'|'.repeat(16)}V555`,
  ].join('\n');

test(
  'an analyst signs in with the keyboard alone and uses the transform test bench: the mapping table, ' +
    'the canonical output, the field errors, a stored message as the sample',
  async (t) => {
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })] });
    t.teardown(() => sb.close());
    await createUser(sb, { username: 'ann.analyst', role: 'analyst', phi: true });
    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const analyst = await openConsole(browser, sb);
    const { page } = analyst;

    // Keyboard only: the sign-in field has focus, Tab moves on, Enter submits.
    await page.goto(`${analyst.base}/transforms`);
    await page.getByLabel('User name').waitFor();
    t.is(await page.evaluate('document.activeElement.id'), 'username');
    await page.keyboard.type('ann.analyst');
    await page.keyboard.press('Tab');
    await page.keyboard.type(TEST_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Transform test bench' }).waitFor();
    t.regex(page.url(), /\/transforms$/, 'back where the user was going');
    // Focus is visible: the first link (skip to content) and the navigation links get an outline.
    await page.keyboard.press('Tab');
    t.is(await page.evaluate('document.activeElement.textContent'), 'Skip to content');
    await page.keyboard.press('Tab');
    t.is(await page.evaluate('document.activeElement.textContent'), 'Dashboard');
    t.is(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle'), 'solid');

    // The transform as a table of target ← source.
    await page.getByLabel('Transform', { exact: true }).selectOption('hl7v2.adt-to-encounter');
    const mapping = page.locator('table.mapping');
    await mapping.waitFor();
    t.regex(await mapping.getByRole('row', { name: /^patient\.familyName/ }).innerText(), /patient\.familyName\s+←\s+PID-5\.1/);
    t.regex(
      await mapping.getByRole('row', { name: /^encounter\.visitNumber/ }).innerText(),
      /encounter\.visitNumber required\s+←\s+PV1-19\.1 \?\? PID-18\.1/,
    );

    // A good sample: the canonical event.
    await page.getByLabel(/Sample message/).fill(adt('20260315090000'));
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('heading', { name: 'Canonical output (1)' }).waitFor();
    const output = await page.locator('pre.canonical').innerText();
    t.regex(output, /"eventType": "discharge"/);
    t.regex(output, /"visitNumber": "V555"/);
    t.regex(output, /"familyName": "POE"/);
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'analyst-bench-output');

    // A bad date: the field error names target, source, value and reason.
    await page.getByLabel(/Sample message/).fill(adt('yesterday'));
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('heading', { name: 'Field errors (1)' }).waitFor();
    const error = await page
      .getByRole('alert')
      .getByRole('row', { name: /occurredAt/ })
      .innerText();
    t.regex(error, /occurredAt\s+\S*EVN-2 \?\? MSH-7\S*\s+yesterday/);
    await screenshot(page, 'analyst-bench-errors');

    // A message received over MLLP, opened from the search and loaded into the bench as the sample.
    const client = await MllpTestClient.connect(sb.mllpPort);
    t.is(
      field(await client.send(adt('20260315100000').replace('BENCH1', 'STORED7').replace('V555', 'V777').replaceAll('\n', '\r')), 'MSA', 1),
      'AA',
    );
    client.close();
    await page.getByRole('link', { name: 'Messages' }).click();
    await page.getByLabel('Control id (MSH-10)').fill('STORED7');
    await page.getByRole('button', { name: 'Search' }).click();
    await page
      .getByRole('row', { name: /STORED7/ })
      .getByRole('link')
      .click();
    await page.getByRole('link', { name: 'Test in the transform bench' }).click();
    await page.getByRole('button', { name: 'Load as sample' }).click();
    await page.getByLabel('Transform', { exact: true }).selectOption('hl7v2.adt-to-encounter');
    await waitFor('the stored sample', async () => (await page.getByLabel(/Sample message/).inputValue()).includes('STORED7'));
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('heading', { name: 'Canonical output (1)' }).waitFor();
    t.regex(await page.locator('pre.canonical').innerText(), /"visitNumber": "V777"/);
    t.deepEqual(analyst.problems, []);
  },
);
