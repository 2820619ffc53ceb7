import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { createUser } from '../support/users.ts';
import { launchBrowser, openConsole, overflowsHorizontally, screenshot, signInAs } from './browser.ts';

const adt = [
  'MSH|^~\\&|LAB|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|LAB1|P|2.5.1',
  'EVN|A01|20260315083000',
  'PID|1||777^^^GENHOSP^MR||LANE^LOIS',
  `PV1|1|I|5E${'|'.repeat(16)}VLAB1`,
];

test(
  'an analyst creates a channel in the console, validates it, tests its transform, deploys it, sends ' +
    'it a message over MLLP and finds the message; versions show their diff and roll back',
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
    t.teardown(() => sb.close());
    await createUser(sb, { username: 'ana.analyst', role: 'analyst', phi: true });
    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const analyst = await openConsole(browser, sb);
    const { page } = analyst;
    await signInAs(analyst, 'ana.analyst');

    // A new channel: MLLP on any free port, ADT in, the ADT transform, the ERP out.
    await page.getByRole('link', { name: 'Channels' }).click();
    await page.getByRole('link', { name: 'New channel' }).click();
    await page.getByLabel('Channel id').fill('lab-adt');
    await page.getByLabel('Description').fill('Lab ADT feed');
    await page.getByLabel(/^Port/).fill('0');
    await page.getByLabel(/^Accepted types/).fill('ADT^A01, ADT^A03');
    await page.getByLabel('hl7v2.adt-to-encounter').check();
    await page.getByRole('button', { name: 'Add a destination' }).click();
    await page.getByLabel('Destination id').fill('erp');
    await page.getByLabel('Connector').selectOption('erp-rest');
    t.is(await page.getByLabel(/^Models/).inputValue(), 'EncounterEvent');
    // The connector's example points at a host that is not allowed: validation says so.
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByRole('alert').filter({ hasText: '/destinations/0/config' }).waitFor();
    await page.getByLabel('baseUrl').fill(erp.url);
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByText('No problems found.').waitFor();
    t.regex(await page.getByLabel('The channel as JSON').inputValue(), new RegExp(`"baseUrl": "${erp.url}"`));
    await screenshot(page, 'analyst-channel-editor');
    t.false(await overflowsHorizontally(page));
    await page.getByLabel('Comment for this version').fill('first cut');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Saved version 1.').waitFor();

    // Its transform on a sample, in the test bench.
    await page.getByRole('link', { name: 'Transform test bench' }).click();
    await page.getByLabel('Transform', { exact: true }).selectOption('hl7v2.adt-to-encounter');
    await page.getByLabel(/Sample message/).fill(adt.join('\n'));
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('heading', { name: 'Canonical output (1)' }).waitFor();

    // Deployed, it listens on a port of its own.
    await page.goto(`${analyst.base}/channels/lab-adt`);
    await page.getByRole('button', { name: 'Deploy v1' }).click();
    const listening = page.locator('.facts dd.mono');
    const port = Number(await waitFor('the channel listening', async () => /MLLP port (\d+)/.exec(await listening.innerText())?.[1]));
    t.regex(await page.locator('.facts').innerText(), /State\s+deployed\s+Deployed\s+v1/);
    await screenshot(page, 'analyst-channel-deployed');

    const client = await MllpTestClient.connect(port);
    t.is(field(await client.send(adt.join('\r')), 'MSA', 1), 'AA');
    client.close();
    type Posting = { event?: { source?: { channelId?: string }; encounter?: { visitNumber?: string; patientClass?: string } } };
    const posted = await waitFor('the ERP posting', () =>
      erp.postings().find((p) => (p.body as Posting).event?.source?.channelId === 'lab-adt'),
    );
    // The new destination has the default data policy: the visit number (an indirect identifier) stays home.
    t.deepEqual((posted.body as Posting).event?.encounter, { patientClass: 'I', location: '5E' });

    // The channel list counts it; the message is found in the browser by its channel.
    await page.getByRole('link', { name: 'Channels', exact: true }).click();
    const listed = page.getByRole('row', { name: /^lab-adt/ });
    await listed.waitFor();
    t.regex(
      await listed.innerText(),
      new RegExp(`lab-adt\\s+Lab ADT feed\\s+MLLP ${port}\\s+ADT\\^A01, ADT\\^A03\\s+deployed\\s+v1\\s+1\\s+0\\s+\\d\\d:\\d\\d`),
    );
    await screenshot(page, 'analyst-channels');
    await listed.getByRole('link', { name: 'lab-adt' }).click();
    await page.getByRole('link', { name: 'Messages of lab-adt' }).click();
    const row = page.getByRole('row', { name: /LAB1/ });
    await row.waitFor();
    t.regex(await row.innerText(), /lab-adt\s+ADT\^A01\s+LAB1\s+777/);
    await row.getByRole('link').click();
    await waitFor('delivered', async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return /delivered/.test(await page.locator('.delivery h3').innerText());
    });
    await screenshot(page, 'analyst-channel-message');

    // A second version: its diff, then a rollback to the first.
    await page.goto(`${analyst.base}/channels/lab-adt/edit`);
    await page.getByLabel('Description').fill('Lab ADT feed (night shift)');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Saved version 2.').waitFor();
    await page.getByRole('button', { name: 'Diff v1 → v2' }).click();
    t.regex(await page.locator('table.diff-table').innerText(), /description\s+"Lab ADT feed"\s+"Lab ADT feed \(night shift\)"/);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    await page.getByRole('row', { name: /^v3/ }).waitFor();
    t.regex(await page.locator('.facts').innerText(), /Deployed\s+v3/);
    await screenshot(page, 'analyst-channel-versions');
    t.deepEqual(analyst.problems, []);
  },
);
