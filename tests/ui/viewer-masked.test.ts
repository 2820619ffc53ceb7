import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { createUser } from '../support/users.ts';
import { launchBrowser, openConsole, overflowsHorizontally, screenshot, signInAs } from './browser.ts';

const adt =
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|UIMASK1|P|2.5.1\rEVN|A01|20260315083000\r` +
  `PID|1||100234^^^GENHOSP^MR||DOE^JANE||19800101|F\rPV1|1|I|4W${'|'.repeat(16)}V900\r`;

test(
  'a viewer without the PHI permission sees names, MRNs, visit numbers and control ids masked in every ' +
    'view, has no replay control, and the API refuses a replay anyway',
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    erp.rejectMatching('V900');
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
    t.teardown(() => sb.close());
    await createUser(sb, { username: 'vic.viewer', role: 'viewer', phi: false });
    const client = await MllpTestClient.connect(sb.mllpPort);
    t.is(field(await client.send(adt), 'MSA', 1), 'AA');
    client.close();
    await waitFor('the message dead', () => sb.engine.store!.messages.list({ status: 'dead', limit: 1 }).then((m) => m.length === 1));

    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const viewer = await openConsole(browser, sb);
    const { page } = viewer;
    await signInAs(viewer, 'vic.viewer');
    t.deepEqual(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts(), [
      'Dashboard',
      'Messages',
      'Dead letters',
      'Flows',
      'Channels',
      'Mappings',
      'Lookup tables',
      'Transform test bench',
      'Alerts',
      'Alert rules',
    ]);
    await page.getByText('PHI masked').waitFor();
    await page.getByRole('link', { name: 'Messages' }).click();

    // No MRN search without the PHI permission (the API would refuse it); the search result: the MRN and the control id masked.
    await page.getByLabel('Control id (MSH-10)').waitFor();
    t.is(await page.getByLabel('MRN').count(), 0);
    const row = page.getByRole('row', { name: /ADT\^A01/ });
    await row.waitFor();
    t.regex(await row.innerText(), /\*\*\*/);
    t.notRegex(await row.innerText(), /100234|UIMASK1/);

    // The message: name, MRN, birth date, visit number and control id masked alike in the tree, the
    // facts and the canonical events (identifiers direct and indirect, as the models class them).
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: 'Raw message' }).waitFor();
    for (const p of ['PID-5', 'PID-3', 'PV1-19', 'MSH-10']) t.is(await page.locator(`.v[data-path="${p}"]`).innerText(), '***', p);
    const canonical = await page.locator('pre.canonical').innerText();
    for (const field of ['mrn', 'visitNumber', 'controlId']) t.regex(canonical, new RegExp(`"${field}": "\\*\\*\\*"`), field);
    const text = await page.locator('main').innerText();
    for (const phi of ['100234', 'DOE', 'JANE', '19800101', 'V900', 'UIMASK1']) t.false(text.includes(phi), phi);
    t.regex(text, /Patient data is masked/);
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'viewer-message-masked');

    // Dead letters: listed, masked, and nothing to replay with.
    await page.getByRole('link', { name: 'Dead letters' }).click();
    await page.getByRole('button', { name: 'Show erp PEER_REJECTED' }).click();
    const dead = page.getByRole('row', { name: /ehr-mllp/ });
    await dead.waitFor();
    t.regex(await dead.innerText(), /\*\*\*/);
    t.notRegex(await dead.innerText(), /100234|UIMASK1/);
    t.is(await page.getByRole('checkbox').count(), 0);
    t.is(await page.getByRole('button', { name: 'Dry run' }).count(), 0);
    t.is(await page.getByLabel(/Reason/).count(), 0);
    await screenshot(page, 'viewer-dead-letters');

    // The API refuses the replay the page does not offer (with the session's own CSRF token).
    const csrf = String(await page.evaluate('sessionStorage.getItem("sb.csrf")'));
    const refused = await page.request.post(`${viewer.base}/api/replays`, {
      headers: { 'x-csrf-token': csrf },
      data: { filter: { destination: 'erp' }, reason: 'try anyway', dryRun: false },
    });
    t.is(refused.status(), 403);
    t.is(erp.postings().length, 0);

    // A page the role may not see is not shown, even by its address.
    await page.goto(`${viewer.base}/users`);
    await page.getByText('Your role (viewer) may not see this page.').waitFor();
    t.deepEqual(viewer.problems, []);

    // When the session ends (here: its cookie is gone), the console's next call returns to sign-in, to come back to the
    // same page: the alerts banner's poll (every 5 s, on every page) makes that call without a click.
    await viewer.context.clearCookies();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.waitForURL(/\/login\?next=%2Fusers$/);
  },
);
