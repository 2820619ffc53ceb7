import test from 'ava';
import type { Page } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { createUser } from '../support/users.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';
import type { AlertWebhookBody } from '../../engine/ops/alerts/alert-api-types.ts';
import { launchBrowser, openConsole, overflowsHorizontally, screenshot, signInAs } from './browser.ts';

const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|${id}|P|2.5.1\rEVN|A01|20260315083000\r` +
  `PID|1||4711^^^GENHOSP^MR||ROE^RITA\rPV1|1|I|4W${'|'.repeat(16)}V${id}\r`;

/**
 * The rule the support user writes: the EHR feed silent for 45 s. Silence counts from the channel's deployment (at the engine's
 * start), so it fires about 45 s after the start; once a message resolves it, it could fire again only 45 s later, after the test.
 */
const RULE = {
  id: 'ehr-silent',
  kind: 'inactivity',
  description: 'The EHR sends nothing',
  severity: 'critical',
  channelId: 'ehr-mllp',
  silentForMs: 45_000,
};

const banner = (page: Page) => page.getByRole('complementary', { name: 'Open alerts' });

test.serial(
  'support writes an inactivity rule in the console and deploys it; the firing alert shows in a banner ' +
    'on every page; support opens it and silences it with a reason; a viewer sees the banner but may ' +
    'not silence; one message resolves it and it is in the history with its state history and notifications',
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    const webhook = await startWebhookReceiver();
    t.teardown(() => webhook.close());
    const sb = await startTestEngine({
      channels: [testChannel({ erpUrl: erp.url })],
      config: { ALERT_EVAL_INTERVAL_MS: 250, ALERT_WEBHOOK_URL: webhook.url, ALERT_WEBHOOK_SECRET: 'a webhook secret for the test' },
    });
    t.teardown(() => sb.close());
    await createUser(sb, { username: 'sam.support', role: 'support' });
    await createUser(sb, { username: 'val.viewer', role: 'viewer' });

    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const support = await openConsole(browser, sb);
    const { page } = support;
    await signInAs(support, 'sam.support');

    // The rule, written as JSON from the kind's template: a wrong value is named, then it validates and is saved.
    await page.getByRole('link', { name: 'Alert rules' }).click();
    await page.getByText('No alert rule yet.').waitFor();
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByLabel('Kind').selectOption('inactivity');
    t.regex(await page.getByLabel('The rule as JSON').inputValue(), /"silentForMs": 3600000/);
    await page.getByLabel('The rule as JSON').fill(JSON.stringify({ ...RULE, silentForMs: 'soon' }, null, 2));
    await page.getByRole('button', { name: 'Validate' }).click();
    t.regex(await page.locator('.problems').innerText(), /\/silentForMs/);
    await page.getByLabel('The rule as JSON').fill(JSON.stringify(RULE, null, 2));
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByText('No problems found.').waitFor();
    await page.getByLabel('Comment for this version').fill('Night watch of the EHR feed (CHG-88)');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByRole('heading', { name: 'Alert rule ehr-silent' }).waitFor();
    await page.getByText('Saved version 1.').waitFor();
    t.regex(await page.locator('.facts').innerText(), /undeployed/);
    await page.getByRole('button', { name: 'Deploy v1' }).click();
    await page.getByText('Deployed: rule ehr-silent is enabled (v1).').waitFor();
    await page.locator('table.versions .tag', { hasText: 'deployed' }).waitFor();
    t.regex(await page.locator('table.versions').innerText(), /v1 deployed[\s\S]*sam\.support[\s\S]*Night watch of the EHR feed/);
    await screenshot(page, 'support-alert-rule');

    // It fires: the banner shows on a page other than Alerts, naming the rule, its subject and since when.
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await banner(page).getByText('1 firing').waitFor({ timeout: 120_000 });
    t.regex(await banner(page).innerText(), /ehr-silent channel ehr-mllp: firing since \d+ s ago/);
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'support-alert-banner');

    // The alert's page; silenced (this alert only) with a reason.
    await banner(page).getByRole('link', { name: 'ehr-silent' }).click();
    await page.getByRole('heading', { name: 'Alert ehr-silent' }).waitFor();
    const alertId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    t.regex(await page.locator('.alert-facts').innerText(), /firing\s+critical[\s\S]*channel ehr-mllp[\s\S]*no message in the last 45 s/);
    await page.getByRole('button', { name: 'Silence…' }).click();
    t.true(await page.getByLabel('this alert only').isChecked());
    await page.getByRole('button', { name: '4 hours' }).click();
    await page.getByLabel(/^Reason/).fill('EHR interface down for the planned upgrade (CHG-88)');
    await page.getByRole('button', { name: 'Silence', exact: true }).click();
    await page.getByText(/^Silenced this alert until /).waitFor();
    const silence = page.getByRole('row', { name: /EHR interface down for the planned upgrade/ });
    t.regex(await silence.innerText(), /active[\s\S]*ehr-silent[\s\S]*sam\.support/);
    await waitFor('the alert silenced', async () => /Silenced\s+until/.test(await page.locator('.alert-facts').innerText()));
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'support-alert-silenced');
    t.deepEqual(support.problems, []);

    // A viewer: the same banner on their pages, the alert's page, and no way to silence or change.
    const viewer = await openConsole(browser, sb);
    await signInAs(viewer, 'val.viewer');
    await viewer.page.getByRole('link', { name: 'Messages' }).click();
    await banner(viewer.page).getByText('1 firing').waitFor();
    t.regex(await banner(viewer.page).innerText(), /ehr-silent channel ehr-mllp: firing since .* silenced until/);
    await banner(viewer.page).getByRole('link', { name: 'ehr-silent' }).click();
    await viewer.page.getByRole('heading', { name: 'Alert ehr-silent' }).waitFor();
    await viewer.page.getByRole('row', { name: /EHR interface down for the planned upgrade/ }).waitFor();
    t.is(await viewer.page.getByRole('button', { name: 'Silence…' }).count(), 0);
    t.is(await viewer.page.getByRole('button', { name: 'End now' }).count(), 0);
    await viewer.page.getByRole('link', { name: 'Rule ehr-silent' }).click();
    await viewer.page.getByRole('heading', { name: 'Alert rule ehr-silent' }).waitFor();
    t.is(await viewer.page.getByRole('button', { name: 'Disable' }).count(), 0);
    t.is(await viewer.page.getByRole('link', { name: 'Edit' }).count(), 0);
    await screenshot(viewer.page, 'viewer-alert-rule');
    t.deepEqual(viewer.problems, []);

    // One message resolves it; the Alerts page lists it in the history, resolved, with no banner left.
    const client = await MllpTestClient.connect(sb.mllpPort);
    t.teardown(() => client.close());
    t.is(field(await client.send(adt('ALERT1')), 'MSA', 1), 'AA');
    await page.getByRole('link', { name: 'Alerts', exact: true }).click();
    const history = page.getByRole('table', { name: 'Alert history, newest first' });
    const row = history.locator('tr', { has: page.locator(`a[href="/alerts/${alertId}"]`) });
    await waitFor('the alert resolved in the history', async () => (await row.count()) === 1 && /resolved/.test(await row.innerText()));
    await page.getByText('No alert is pending or firing.').waitFor();
    // The banner polls on its own (every 5 s): it goes at its next poll.
    await banner(page).waitFor({ state: 'detached' });
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'support-alert-history');

    // Its page: fired then resolved; the webhook told of the firing, the silence held the resolution.
    await row.getByRole('link', { name: 'ehr-silent' }).click();
    await page.getByRole('heading', { name: 'Alert ehr-silent' }).waitFor();
    t.regex(await page.locator('table.alert-transitions').innerText(), /firing[\s\S]*resolved/);
    await waitFor('the notifications listed', async () =>
      /firing\s+webhook\s+sent[\s\S]*resolved\s+webhook\s+suppressed/.test(await page.locator('table.alert-notifications').innerText()),
    );
    t.is(await page.getByRole('button', { name: 'Silence…' }).count(), 0, 'a resolved alert is not silenced');
    await screenshot(page, 'support-alert-resolved');
    t.deepEqual(
      webhook
        .received()
        .map((h) => JSON.parse(h.body) as AlertWebhookBody)
        .map((b) => [b.event, b.alert.id]),
      [['firing', alertId]],
    );
    t.deepEqual(support.problems, []);
  },
);

test.serial(
  'an alert rule has the lifecycle of a channel in the console: a new version from the editor, its diff, ' +
    'deploy, disable and enable, export of every rule and import of a bundle as new rules',
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], config: { ALERT_EVAL_INTERVAL_MS: 1000 } });
    t.teardown(() => sb.close());
    await createUser(sb, { username: 'sam.support', role: 'support' });
    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const support = await openConsole(browser, sb);
    const { page } = support;
    await signInAs(support, 'sam.support');

    // v1 from the template of its kind, deployed.
    await page.goto(`${support.base}/alert-rules/new`);
    await page.getByLabel('Kind').selectOption('queue-depth');
    await page
      .getByLabel('The rule as JSON')
      .fill(JSON.stringify({ id: 'erp-backlog', kind: 'queue-depth', destinationId: 'erp', above: 500 }));
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Saved version 1.').waitFor();
    await page.getByRole('button', { name: 'Deploy v1' }).click();
    await page.getByText('Deployed: rule erp-backlog is enabled (v1).').waitFor();

    // v2 from the editor: a higher threshold and a wait; its diff; deployed.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Edit alert rule erp-backlog' }).waitFor();
    const editor = page.getByLabel('The rule as JSON');
    const v1 = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
    await editor.fill(JSON.stringify({ ...v1, above: 800, forMs: 300_000 }, null, 2));
    await page.getByLabel('Comment for this version').fill('Month-end batch runs deeper');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Saved version 2.').waitFor();
    t.regex(await page.locator('.facts').innerText(), /Deployed\s+v1[\s\S]*Latest\s+v2/);
    await page.getByRole('button', { name: 'Diff v1 → v2' }).click();
    const diff = page.getByRole('table', { name: /Changes from v1 to v2/ });
    t.regex(await diff.innerText(), /\/above\s+500\s+800[\s\S]*\/forMs\s+\(none\)\s+300000/);
    await page.getByRole('button', { name: 'Deploy v2' }).click();
    await page.getByText('Deployed: rule erp-backlog is enabled (v2).').waitFor();
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'support-alert-rule-diff');

    // Disabled, then enabled again: the list says so.
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('Disabled: rule erp-backlog is disabled (v2).').waitFor();
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByText('Enabled: rule erp-backlog is enabled (v2).').waitFor();
    await page.getByRole('link', { name: '← Alert rules' }).click();
    t.regex(
      await page.getByRole('row', { name: /erp-backlog/ }).innerText(),
      /destination erp\s+queue-depth: queue above 800 jobs for 5 min\s+enabled\s+v2/,
    );

    // Export downloads the bundle; the same bundle, renamed, imported as a new rule (not deployed).
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export' }).click()]);
    const bundle = JSON.parse(await readFile((await download.path())!, 'utf8')) as { format: string; rules: { id: string }[] };
    t.is(bundle.format, 'switchboard-alert-rules');
    t.deepEqual(
      bundle.rules.map((r) => r.id),
      ['erp-backlog'],
    );
    const copy = { ...bundle, rules: bundle.rules.map((r) => ({ ...r, id: 'erp-backlog-night' })) };
    await page.getByText('Import rules…').click();
    await page.getByLabel('Or paste it here').fill(JSON.stringify(copy));
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('Imported 1 rule; deploy each to evaluate it.').waitFor();
    await page
      .getByRole('row', { name: /erp-backlog-night/ })
      .getByText('undeployed')
      .waitFor();
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'support-alert-rules-imported');
    t.deepEqual(support.problems, []);
  },
);
