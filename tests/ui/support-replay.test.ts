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
  'support staff find a message the ERP refused with 400; the destination setting is fixed in the ' +
    'console; they dry-run the replay, replay it with a reason and see it delivered; the audit page ' +
    'shows the replay and its reason',
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    // The ERP wants its company code in a header the channel does not send yet.
    erp.requireHeader({ name: 'X-ERP-Company', value: 'GH01' });
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
    t.teardown(() => sb.close());
    await createUser(sb, { username: 'sam.support', role: 'support', phi: true });
    await createUser(sb, { username: 'ana.analyst', role: 'analyst' });
    await createUser(sb, { username: 'ada.auditor', role: 'auditor' });

    const client = await MllpTestClient.connect(sb.mllpPort);
    t.is(field(await client.send(adt('UI400')), 'MSA', 1), 'AA');
    client.close();
    const [stored] = await waitFor('the message dead', () =>
      sb.engine.store!.messages.list({ status: 'dead', limit: 5 }).then((m) => m.length === 1 && m),
    );

    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const support = await openConsole(browser, sb);
    const { page } = support;
    await signInAs(support, 'sam.support');

    // The search finds it by type, destination, error code and time; another error code finds nothing.
    const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.getByRole('link', { name: 'Messages' }).click();
    await page.getByLabel('Type').fill('ADT^A01');
    await page.getByLabel('Destination').selectOption('erp');
    await page.getByLabel('Error code').fill('PEER_TIMEOUT');
    await page.getByLabel('Received from').fill(local(new Date(Date.now() - 3_600_000)));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No message matches.').waitFor();
    await page.getByLabel('Error code').fill('PEER_REJECTED');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('row', { name: /UI400/ }).waitFor();
    t.regex(page.url(), /destination=erp&errorCode=PEER_REJECTED&from=/);
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'support-message-search');

    // Dead letters, grouped by destination and error code.
    await page.getByRole('link', { name: 'Dead letters' }).click();
    const group = page.getByRole('row', { name: /erp PEER_REJECTED 1/ });
    await group.waitFor();
    await group.getByRole('button', { name: 'Show erp PEER_REJECTED' }).click();
    const dead = page.getByRole('row', { name: /UI400/ });
    await dead.waitFor();
    t.regex(await dead.innerText(), /400/);
    t.regex(await dead.innerText(), /company code missing or unknown/);
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'support-dead-letters');

    // The message itself: the tree with paths, the attempts with the ERP's answer, the ACK sent.
    await dead.getByRole('link').click();
    await page.getByRole('heading', { name: `Message ${stored!._id}` }).waitFor();
    await page.locator('.v[data-path="PID-5.1"]').hover();
    t.is(await page.locator('.path-bar .path').innerText(), 'PID-5.1');
    t.is(await page.locator('.v[data-path="PID-5.1"]').innerText(), 'ROE');
    t.is(await page.locator('.v[data-path="PID-5.1"]').getAttribute('title'), 'PID-5.1');
    t.regex(await page.locator('.delivery').innerText(), /company code missing or unknown/);
    t.regex(await page.locator('pre.ack').innerText(), /MSA\|AA\|UI400/);
    t.regex(await page.locator('pre.canonical').innerText(), /"visitNumber": "VUI400"/);
    await screenshot(page, 'support-message-dead');

    // The fix is a destination setting: the analyst (support may not edit channels) adds the header
    // in the channel editor, saves a version and deploys it.
    const analyst = await openConsole(browser, sb);
    await signInAs(analyst, 'ana.analyst');
    await analyst.page.goto(`${analyst.base}/channels/ehr-mllp/edit`);
    await analyst.page.getByLabel(/^headers/).fill('{"X-ERP-Company":"GH01"}');
    await analyst.page.getByRole('button', { name: 'Validate' }).click();
    await analyst.page.getByText('No problems found.').waitFor();
    await analyst.page.getByLabel('Comment for this version').fill('ERP company code header (INC-4711)');
    await analyst.page.getByRole('button', { name: 'Save version' }).click();
    const saved = Number(
      await waitFor('the version saved', async () => /Saved version (\d+)\./.exec(await analyst.page.locator('body').innerText())?.[1]),
    );
    await analyst.page.goto(`${analyst.base}/channels/ehr-mllp`);
    await analyst.page.getByRole('button', { name: `Deploy v${saved}` }).click();
    await waitFor('the new version running', async () => sb.engine.running().get('ehr-mllp')?.version === saved);
    await screenshot(analyst.page, 'analyst-destination-fixed');
    t.deepEqual(analyst.problems, []);

    // Dry run first (the replay button stays off until then), then the replay.
    await page.goBack();
    await page.getByRole('button', { name: 'Show erp PEER_REJECTED' }).click();
    const replayButton = page.getByRole('button', { name: /^Replay/ });
    await page.getByLabel(/Reason/).fill('ERP company code now sent (INC-4711)');
    t.true(await replayButton.isDisabled());
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByText('Dry run: 1 delivery would be replayed.').waitFor();
    t.regex(await page.locator('.dry-run').innerText(), /hl7v2\.adt-to-encounter@2 → hl7v2\.adt-to-encounter@2\s+no field changes/);
    await screenshot(page, 'support-replay-dry-run');
    t.is(erp.postings().length, 0, 'a dry run sends nothing');
    await page.getByRole('button', { name: 'Replay 1 delivery' }).click();
    await page.getByText(/Replay \S+ queued 1 delivery\./).waitFor();
    const [posting] = await waitFor('the ERP posting', () => (erp.postings().length === 1 ? erp.postings() : undefined));
    t.regex(JSON.stringify(posting!.body), /VUI400/);

    // Delivered, as the message page shows (refreshed until the worker has recorded it).
    await page.goto(`${support.base}/messages/${stored!._id}`);
    const erpDelivery = page.locator('.delivery h3');
    await waitFor('delivered on the message page', async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.locator('.delivery').waitFor();
      return (await erpDelivery.innerText()).includes('delivered');
    });
    t.regex(await page.locator('.delivery').innerText(), /replay/);
    await screenshot(page, 'support-message-delivered');
    t.deepEqual(support.problems, []);

    // An auditor sees the replay, dry run and real, with the reason.
    const auditor = await openConsole(browser, sb);
    await signInAs(auditor, 'ada.auditor');
    await auditor.page.getByRole('link', { name: 'Audit log' }).click();
    await auditor.page.getByLabel('Action').selectOption('replay');
    await auditor.page.getByRole('button', { name: 'Filter' }).click();
    const rows = auditor.page.locator('table.audit tbody tr');
    // The unfiltered page shows first; the filtered one has the two replays and nothing else.
    await waitFor(
      'only the two replay entries',
      async () => (await rows.count()) === 2 && (await rows.filter({ hasText: /sam\.support\s*replay/ }).count()) === 2,
    );
    t.regex(await rows.nth(0).innerText(), /reason: ERP company code now sent \(INC-4711\)[\s\S]*dryRun: false/);
    t.regex(await rows.nth(1).innerText(), /dryRun: true/);
    t.false(await overflowsHorizontally(auditor.page));
    await screenshot(auditor.page, 'auditor-replay-entries');
    t.deepEqual(auditor.problems, []);

    // The ERP loses the posting (restored from a backup): support sends the delivered message again,
    // dry run first; the ERP takes it as a new document under a new key.
    await page.getByText('Send to erp again…').click();
    const resend = page.locator('details.resend');
    await resend.getByLabel(/Reason/).fill('ERP restored from backup (INC-4712)');
    await resend.getByRole('button', { name: 'Dry run' }).click();
    await resend.getByText('Dry run: 1 delivery would be replayed.').waitFor();
    await resend.getByRole('button', { name: 'Replay 1 delivery' }).click();
    await resend.getByText(/Replay \S+ queued 1 delivery\./).waitFor();
    const again = await waitFor('sent again', () => erp.postings().find((p) => p.idempotencyKey !== posting!.idempotencyKey));
    t.regex(again.idempotencyKey, new RegExp(`^${stored!._id}:erp:[0-9a-f-]{36}$`));
    await screenshot(page, 'support-message-sent-again');
    t.deepEqual(support.problems, []);
  },
);
