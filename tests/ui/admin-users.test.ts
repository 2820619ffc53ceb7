import test from 'ava';
import { startTestEngine, TEST_ADMIN, testChannel, waitFor } from '../support/harness.ts';
import { launchBrowser, openConsole, overflowsHorizontally, screenshot, signInAs } from './browser.ts';

const PASSWORD = 'nora has a long password';

test(
  'an administrator creates a user, grants PHI, sees the change in the audit log, and deletes the ' +
    'user; the new user sees only the pages of their role',
  async (t) => {
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })] });
    t.teardown(() => sb.close());
    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const admin = await openConsole(browser, sb);
    const { page } = admin;
    await signInAs(admin, TEST_ADMIN.username, TEST_ADMIN.password);
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
      'Audit log',
      'Users',
    ]);

    await page.getByRole('link', { name: 'Users' }).click();
    const form = page.getByRole('form', { name: 'New user' });
    await form.getByLabel('User name').fill('nora.new');
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByLabel('Role').selectOption('support');
    await form.getByRole('button', { name: 'Create user' }).click();
    const row = page.getByRole('row', { name: /^nora\.new/ });
    await row.waitFor();
    t.regex(await row.innerText(), /nora\.new\s+support\s+all\s+no\s+active/);

    // The new user signs in elsewhere and sees a support user's pages, PHI masked.
    const nora = await openConsole(browser, sb);
    await signInAs(nora, 'nora.new', PASSWORD);
    t.deepEqual(await nora.page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts(), [
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
    await nora.page.getByText('PHI masked').waitFor();

    // Grant PHI.
    await row.getByRole('button', { name: 'Edit nora.new' }).click();
    const edit = page.getByRole('form', { name: 'Edit nora.new' });
    await edit.getByLabel('May see patient data (PHI)').check();
    await edit.getByRole('button', { name: 'Save' }).click();
    await waitFor('PHI granted in the list', async () => /nora\.new\s+support\s+all\s+yes/.test(await row.innerText()));
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'admin-users');

    // The change is in the audit log, with what changed. The unfiltered page asked for on arrival
    // is held until the filtered one has answered: its late answer must not replace the filtered list.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route(/\/api\/audit\?limit=100$/, async (route) => (await held, route.continue()));
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Action').selectOption('user.update');
    await page.getByRole('button', { name: 'Filter' }).click();
    const entry = page.getByRole('row', { name: /user\.update.*user:nora\.new/ });
    await entry.waitFor();
    const late = page.waitForResponse(/\/api\/audit\?limit=100$/);
    release();
    await (await late).finished();
    const actions = page.locator('table.audit tbody td:nth-child(4)');
    let shown: string[] = [];
    for (let frame = 0; frame < 30 && shown.every((a) => a === 'user.update'); frame++) {
      await page.evaluate(() => new Promise(requestAnimationFrame));
      shown = await actions.allInnerTexts();
    }
    t.deepEqual([...new Set(shown)], ['user.update'], 'the late unfiltered answer is dropped');
    t.regex(
      await entry.innerText(),
      /admin\s+user\.update\s+success\s+user:nora\.new\s+diff: \[{"field":"phi","before":false,"after":true}\]/,
    );
    await screenshot(page, 'admin-audit-user-update');

    // Delete, after the confirmation.
    await page.getByRole('link', { name: 'Users' }).click();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete nora.new' }).click();
    await page.getByRole('row', { name: /^admin/ }).waitFor();
    await waitFor('nora gone from the list', async () => (await page.getByRole('row', { name: /^nora\.new/ }).count()) === 0);
    t.is(await page.getByRole('button', { name: 'Delete admin' }).count(), 0, 'no deleting oneself');
    t.deepEqual(admin.problems, []);
  },
);
