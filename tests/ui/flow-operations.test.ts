import test from 'ava';
import { FlowStatus, StepStatus } from '../../engine/flows/flow-states.ts';
import { procedureDft } from '../../peers/procedure-dft.ts';
import { instancesIn, startProcedure } from '../support/flow-procedure.ts';
import { waitFor } from '../support/harness.ts';
import { MllpTestClient } from '../support/mllp-client.ts';
import { createUser } from '../support/users.ts';
import { launchBrowser, openConsole, overflowsHorizontally, screenshot, signInAs } from './browser.ts';

// 40 in stock, reorder level 10: 2 used leaves 38, no reorder. The visit is one the EHR does not know yet.
const SUTURE = { code: 'SUTURE-3-0', quantity: 2, department: 'OR', performer: 'DR-ANDERS' };
const VISIT = 'V2001';

test(
  'support finds the procedure stalled on the encounter check, sees why (the error code), adds the encounter in ' +
    'the EHR, retries after the dry run and sees every step done; a viewer sees the steps with their values masked',
  async (t) => {
    const { peers, engine: sb } = await startProcedure(t);
    const { encounters, inventory } = peers.procedure;
    await createUser(sb, { username: 'sam.support', role: 'support', phi: true });
    await createUser(sb, { username: 'vic.viewer', role: 'viewer', phi: false });
    const client = await MllpTestClient.connect(sb.mllpPort);
    t.teardown(() => client.close());
    t.regex(await client.send(procedureDft('FLOWUI1', [SUTURE], VISIT)), /MSA\|AA\|FLOWUI1/);
    const [stalled] = await instancesIn(sb, FlowStatus.stalled, 1);
    // Stalled as soon as the lookup is dead; the steps after it are parked next.
    await waitFor('every step after the lookup parked', async () => {
      const steps = Object.values((await sb.engine.store!.flows.get(stalled!._id))?.steps ?? {});
      return steps.filter((s) => s.status === StepStatus.parked).length === 4;
    });

    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const support = await openConsole(browser, sb);
    const { page } = support;
    await signInAs(support, 'sam.support');

    // The flows page: the procedure flow with one instance stalled; the instance found by its visit number.
    await page.getByRole('link', { name: 'Flows' }).click();
    await page
      .locator('table.flows')
      .getByRole('row', { name: /procedure v\d+/ })
      .getByText('stalled 1')
      .waitFor();
    await page.getByLabel('Status').selectOption('stalled');
    await page.getByLabel('Business key').fill(VISIT);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/flows\?status=stalled&key=V2001$/);
    const row = page.locator('table.instances tbody tr');
    await waitFor(
      'one stalled instance listed',
      async () => (await row.count()) === 1 && /validate-encounter: dead/.test(await row.innerText()),
    );
    t.regex(await row.innerText(), /post-inventory: parked[\s\S]*bill: parked/);
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'support-flows-stalled');

    // The instance: which step failed and why (the EHR answered 404 to the lookup); every step after it parked.
    await row.getByRole('link').first().click();
    await page.getByRole('heading', { name: `Flow instance ${stalled!._id}` }).waitFor();
    const box = (step: string) => page.getByTestId(`step-${step}`);
    t.is(await box('validate-encounter').getAttribute('data-status'), 'dead');
    t.regex(await box('validate-encounter').innerText(), /dead[\s\S]*PEER_NOT_FOUND/);
    for (const step of ['post-inventory', 'reorder', 'allocate-labour', 'bill'])
      t.is(await box(step).getAttribute('data-status'), 'parked', step);
    const lookup = page.getByRole('region', { name: /^validate-encounter/ });
    t.regex(await lookup.locator('pre.step-request').innerText(), /"visitNumber": "V2001"/);
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'support-flow-step-dead');

    // The fix is in the EHR: the encounter is registered. The dry run shows what the retry sends (the same request), sending nothing.
    encounters.seed({ visitNumber: VISIT, status: 'in-progress', class: 'I' });
    const lookups = encounters.requests().length;
    await lookup.getByRole('button', { name: 'Retry step' }).click();
    await lookup.getByText('No field changes: the retry sends the same request as the last attempt.').waitFor();
    t.regex(await lookup.locator('.retry-diff').innerText(), /visitNumber\s+V2001\s+V2001/);
    t.is(encounters.requests().length, lookups, 'a dry run sends nothing');
    await screenshot(page, 'support-flow-retry-dry-run');
    await lookup.getByRole('button', { name: 'Confirm retry' }).click();

    // The page reads the instance again by itself until every step is done.
    await waitFor(
      'every step done on the page',
      async () => (await page.locator('[data-testid^="step-"][data-status="done"]').count()) === 5,
    );
    await page.getByText('completed', { exact: true }).waitFor();
    t.is(inventory.stock(SUTURE.code), 38);
    t.is(await page.getByRole('button', { name: /Retry step|Skip step|Abort flow/ }).count(), 0, 'nothing to do on a completed flow');
    await screenshot(page, 'support-flow-completed');

    // The dashboard: the flow's completion rate over the last 24 hours, and nothing unfinished.
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('row', { name: /procedure\s+100 % \(1 of 1\)\s+—/ }).waitFor();
    t.deepEqual(support.problems, []);

    // A viewer without the PHI permission: the same steps, every value masked, and no action.
    const viewer = await openConsole(browser, sb);
    await signInAs(viewer, 'vic.viewer');
    await viewer.page.goto(`${viewer.base}/flows/instances/${encodeURIComponent(stalled!._id)}`);
    await viewer.page.getByTestId('step-bill').waitFor();
    t.is(await viewer.page.locator('[data-testid^="step-"][data-status="done"]').count(), 5);
    t.regex(await viewer.page.locator('main').innerText(), /Patient data is masked/);
    const request = await viewer.page
      .getByRole('region', { name: /^validate-encounter/ })
      .locator('pre.step-request')
      .innerText();
    t.regex(request, /"visitNumber": "\*\*\*"/);
    const text = await viewer.page.locator('main').innerText();
    for (const value of [VISIT, SUTURE.code, 'CC-SURG', 'DR-ANDERS']) t.false(text.includes(value), value);
    t.is(await viewer.page.getByRole('button', { name: /Retry step|Skip step|Abort flow/ }).count(), 0);
    await screenshot(viewer.page, 'viewer-flow-masked');
    t.deepEqual(viewer.problems, []);
  },
);

test(
  'support aborts a procedure stalled on labour costing: the form names the compensations that run, latest first; ' +
    'the page follows the abort until the consumption is reversed and the reorder cancelled',
  async (t) => {
    const { peers, engine: sb } = await startProcedure(t);
    const { inventory, labour, procurement } = peers.procedure;
    labour.setBehaviour({ mode: 'fail', status: 400, times: -1 });
    await createUser(sb, { username: 'sam.support', role: 'support', phi: true });
    const client = await MllpTestClient.connect(sb.mllpPort);
    t.teardown(() => client.close());
    // 12 in stock, reorder level 10: 3 used leaves 9, so a reorder is requested.
    const gauze = { code: 'GAUZE-10X10', quantity: 3, department: 'OR', performer: 'DR-ANDERS' };
    t.regex(await client.send(procedureDft('FLOWUI2', [gauze])), /MSA\|AA\|FLOWUI2/);
    const [stalled] = await instancesIn(sb, FlowStatus.stalled, 1);
    await waitFor('the inventory branch done', async () => {
      const steps = (await sb.engine.store!.flows.get(stalled!._id))?.steps;
      return steps?.reorder?.status === StepStatus.done && steps.bill?.status === StepStatus.parked;
    });
    t.is(inventory.stock(gauze.code), 9);

    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const support = await openConsole(browser, sb);
    const { page } = support;
    await signInAs(support, 'sam.support');
    await page.goto(`${support.base}/flows/instances/${encodeURIComponent(stalled!._id)}`);
    await page.getByTestId('step-allocate-labour').waitFor();
    t.is(await page.getByTestId('step-allocate-labour').getAttribute('data-status'), 'dead');
    t.regex(await page.getByTestId('step-allocate-labour').innerText(), /PEER_REJECTED/);

    await page.getByRole('button', { name: 'Abort flow' }).click();
    const form = page.locator('.abort-flow');
    t.regex(await form.innerText(), /compensations of the done steps then run, latest first: reorder, then post-inventory\./);
    const confirm = form.getByRole('button', { name: 'Confirm abort' });
    t.true(await confirm.isDisabled(), 'a reason first');
    await form.getByLabel(/Reason/).fill('procedure cancelled (INC-4713)');
    await screenshot(page, 'support-flow-abort');
    await confirm.click();

    // The page follows the abort (read again every 2 s) until it is done.
    await page.getByText('aborted', { exact: true }).waitFor();
    for (const step of ['post-inventory', 'reorder'])
      t.is(await page.getByTestId(`step-${step}`).getAttribute('data-status'), 'compensated', step);
    t.regex(await page.locator('.facts').innerText(), /by sam\.support at .*: procedure cancelled \(INC-4713\)/);
    t.is(inventory.stock(gauze.code), 12, 'the consumption reversed');
    t.deepEqual(
      procurement.records().map((r) => r.status),
      ['cancelled'],
      'the reorder cancelled',
    );
    t.is(await page.getByRole('button', { name: /Retry step|Skip step|Abort flow/ }).count(), 0, 'nothing to do on an aborted flow');
    await screenshot(page, 'support-flow-aborted');
    t.deepEqual(support.problems, []);
  },
);
