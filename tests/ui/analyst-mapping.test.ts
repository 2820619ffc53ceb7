import test from 'ava';
import type { Page } from 'playwright-core';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, TEST_ADMIN, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { createUser } from '../support/users.ts';
import { launchBrowser, openConsole, overflowsHorizontally, screenshot, signInAs, type ConsolePage } from './browser.ts';

/** A site's DFT^P03: each FT1 is followed by a ZCH carrying the site's local charge code (ZCH-2). */
const dft = (id: string, lines: [code: string, text: string, amount: string][]) =>
  [
    `MSH|^~\\&|LAB|NORTHSITE|ERP|FIN|20260501090000||DFT^P03^DFT_P03|${id}|P|2.5.1`,
    'EVN|P03|20260501090000',
    'PID|1||555001^^^NORTH^MR||DOE^JANE',
    `PV1|1|O|LAB${'|'.repeat(16)}VN${id}`,
    ...lines.flatMap(([code, text, amount], i) => [
      `FT1|${i + 1}|||2026050108${30 + i}00||CG|${code}^${text}^LOCAL|||1|${amount}^USD||DEPT${i + 1}`,
      `ZCH|${i + 1}|${code}`,
    ]),
  ].join('\n');

const twoLines = (id: string) =>
  dft(id, [
    ['LAB-CBC', 'CBC PANEL', '42.00'],
    ['RAD-XR', 'CHEST XRAY', '120.00'],
  ]);

/** The fields of the shipped hl7v2.dft-to-charges, in the expression language (glAccount and serviceDate are entered by clicking). */
const EXPRESSIONS: Record<string, string> = {
  lineNumber: 'number(FT1-1)',
  transactionType: 'FT1-6',
  code: 'FT1-7.1',
  codeSystem: "codeSystemUri(FT1-7.3 ?? 'local')",
  description: 'FT1-7.2',
  quantity: 'number(FT1-10) ?? 1',
  'amount.value': 'number(FT1-11.1)',
  'amount.currency': "when(FT1-11.1, FT1-11.2 ?? 'USD')",
  department: 'FT1-13.1',
  'encounter.visitNumber': 'PV1-19.1 ?? PID-18.1',
  'encounter.patientClass': 'PV1-2',
  'patient.mrn': "identifier(PID-3, 'MR')",
};

async function fillExpressions(page: Page, expressions: Record<string, string>): Promise<void> {
  for (const [path, expr] of Object.entries(expressions)) await page.getByLabel(path, { exact: true }).fill(expr);
}

/** Types `before` into the expression of `path`, clicks the value at `tree` in the sample's tree, then types `after`. */
async function exprByClick(page: Page, path: string, before: string, tree: string, after: string): Promise<string> {
  const input = page.getByLabel(path, { exact: true });
  await input.fill(before);
  await page.locator(`.v[data-path="${tree}"]`).click();
  await waitFor(`${path} focused again`, () => input.evaluate((el) => el === document.activeElement));
  await page.keyboard.type(after);
  return input.inputValue();
}

type Charge = { event: { glAccount?: string; code: string; source: { channelId: string } } };

/**
 * Sends `message` to the channel over MLLP (AA expected) and returns the `count` ChargeEvents the
 * ERP receives for it (the control id is not sent: the data policy keeps it home, so they are told
 * by arriving after the ones before).
 */
async function sendAndReceive(erp: ErpSimulator, port: number, message: string, count: number): Promise<Charge['event'][]> {
  const before = erp.postings().length;
  await send(port, message);
  const received = () =>
    erp
      .postings()
      .slice(before)
      .map((p) => (p.body as Charge).event);
  return waitFor(`${count} charges posted`, () => received().length >= count && received());
}

/** Sends `message` over MLLP; throws unless the ACK code (MSA-1) is `code`. */
async function send(port: number, message: string, code = 'AA'): Promise<void> {
  const client = await MllpTestClient.connect(port);
  try {
    const ack = await client.send(message.replace(/\n/g, '\r'));
    if (field(ack, 'MSA', 1) !== code) throw new Error(`not answered ${code}: ${ack}`);
  } finally {
    client.close();
  }
}

/**
 * The port channel site-dft listens on, once the channel page shows it deployed at `version` and the engine runs that version;
 * the page shows that port (read again if it was read while the earlier version's listener still ran: the page does not poll).
 */
async function deployedPort(page: Page, sb: TestEngine, version: number): Promise<number> {
  await waitFor(`v${version} deployed`, async () =>
    new RegExp(`Deployed\\s+v${version}\\b`).test(await page.locator('.facts').innerText()),
  );
  const port = await waitFor(`the engine running v${version}`, () =>
    sb.engine.running().get('site-dft')?.version === version ? sb.engine.mllpPorts()['site-dft'] : undefined,
  );
  await waitFor(`the page showing MLLP port ${port}`, async () => {
    if ((await page.locator('.facts dd.mono').innerText()) === `MLLP port ${port}`) return true;
    await page.reload();
    return false;
  });
  return port;
}

async function createTable(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Lookup tables' }).click();
  await page.getByRole('link', { name: 'New lookup table' }).click();
  await page.getByLabel('Table name').fill('cpt-to-gl');
  await page.getByLabel('Comment for this version').fill('GL accounts of the north site codes');
  await page.getByLabel(/^CSV text/).fill('code,gl_account\nLAB-CBC,6100-LAB\nRAD-XR,6200-RAD\n');
  await page.getByRole('button', { name: 'Import CSV' }).click();
  await page.getByText('Saved version 1.').waitFor();
}

async function createMapping(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Mappings' }).click();
  await page.getByRole('link', { name: 'New mapping' }).click();
  await page.getByLabel('Mapping id').fill('north-dft-charges');
  await page.getByLabel('Description', { exact: true }).fill('North site DFT^P03: local codes in ZCH after each FT1');
  await page.getByLabel('Canonical model').selectOption('ChargeEvent.v1');
  await page.getByLabel(/^Accepted types/).fill('DFT^P03');
  await page.getByLabel(/^One event per segment/).fill('FT1');
  await page.getByLabel(/^Segments along it/).fill('ZCH');
  await page.getByLabel(/^Sample message/).fill(twoLines('NS0'));
  await fillExpressions(page, EXPRESSIONS);
}

test(
  'an analyst builds a feed with no code change and no restart: a lookup table from CSV, a mapping with ' +
    'fixtures, a channel pinning both; a new table version is refused until the fixtures follow, ' +
    'previewed against stored traffic, dry-run replayed, and rolled back',
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
    t.teardown(() => sb.close());
    await createUser(sb, { username: 'ana.analyst', role: 'analyst', phi: true });
    await createUser(sb, { username: 'sam.support', role: 'support', phi: true });
    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const analyst = await openConsole(browser, sb);
    const { page } = analyst;
    await signInAs(analyst, 'ana.analyst');

    await createTable(page);
    t.is(await page.getByLabel('gl_account of row 1').inputValue(), '6100-LAB');
    t.is(await page.getByLabel('code of row 2').inputValue(), 'RAD-XR');
    await screenshot(page, 'analyst-mapping-table');

    // The mapping: clicking a value of the sample inserts its path where the cursor is.
    await createMapping(page);
    t.is(await exprByClick(page, 'glAccount', "lookup('cpt-to-gl', ", 'ZCH-2', ')'), "lookup('cpt-to-gl', ZCH-2)");
    // Inside the forEach, the second FT1's date is read as FT1-4 (each event reads its own).
    t.is(await exprByClick(page, 'serviceDate', 'dateTime(', 'FT1(2)-4', ')'), 'dateTime(FT1-4)');
    await page.getByRole('heading', { name: 'Preview: 2 events' }).waitFor();
    t.regex(await page.locator('pre.canonical').innerText(), /"glAccount": "6100-LAB"[\s\S]*"glAccount": "6200-RAD"/);
    await page.getByLabel('Fixture name').fill('lab and radiology');
    await page.getByRole('button', { name: 'Save as fixture' }).click();
    await page.getByLabel(/^Sample message/).fill(dft('NS00', [['RAD-XR', 'CHEST XRAY', '120.00']]));
    await page.getByRole('heading', { name: 'Preview: 1 event' }).waitFor();
    await page.getByLabel('Fixture name').fill('radiology only');
    await page.getByRole('button', { name: 'Save as fixture' }).click();
    await page.getByRole('heading', { name: 'Fixtures (2: all pass)' }).waitFor();
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'analyst-mapping-editor');
    await page.getByLabel('Comment for this version').fill('north site charges');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Saved version 1.').waitFor();

    // The channel pins the mapping and the table, at their latest versions.
    await page.getByRole('link', { name: 'Channels' }).click();
    await page.getByRole('link', { name: 'New channel' }).click();
    await page.getByLabel('Channel id').fill('site-dft');
    await page.getByLabel('Description').fill('North site charges');
    await page.getByLabel(/^Port/).fill('0');
    await page.getByLabel(/^Accepted types/).fill('DFT^P03');
    // Only the north site's messages, or charges the table knows: a filter built in the form, not typed as JSON.
    await page.getByLabel(/^Only messages meeting a condition/).check();
    await page.getByLabel('Kind').selectOption('any');
    await page.getByLabel(/^HL7v2 path/).fill('MSH-4');
    await page.getByLabel(/^Values/).fill('NORTHSITE, NORTHLAB');
    await page.getByRole('button', { name: 'Add a condition' }).click();
    await page
      .getByLabel(/^HL7v2 path/)
      .nth(1)
      .fill('ZCH-2');
    await page.getByLabel('Test', { exact: true }).nth(1).selectOption('inTable');
    await page.getByLabel(/^Lookup table/).fill('cpt-to-gl');
    const filter = (JSON.parse(await page.getByLabel('The channel as JSON').inputValue()) as { filter: unknown }).filter;
    t.deepEqual(filter, {
      any: [
        { hl7: 'MSH-4', oneOf: ['NORTHSITE', 'NORTHLAB'] },
        { hl7: 'ZCH-2', inTable: 'cpt-to-gl' },
      ],
    });
    await page.getByRole('checkbox', { name: /north-dft-charges/ }).check();
    await page.getByRole('checkbox', { name: /cpt-to-gl/ }).check();
    await page.getByRole('button', { name: 'Add a destination' }).click();
    await page.getByLabel('Destination id').fill('erp');
    await page.getByLabel('Connector').selectOption('erp-rest');
    t.is(await page.getByLabel(/^Models/).inputValue(), 'ChargeEvent');
    await page.getByLabel('baseUrl').fill(erp.url);
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByText('No problems found.').waitFor();
    t.regex(await page.getByLabel('The channel as JSON').inputValue(), /"mappings": \[\s*\{\s*"id": "north-dft-charges",\s*"version": 1/);
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'analyst-mapping-channel');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Saved version 1.').waitFor();
    await page.getByRole('button', { name: 'Deploy v1' }).click();
    let port = await deployedPort(page, sb, 1);

    const first = await sendAndReceive(erp, port, twoLines('NS1'), 2);
    t.true(first.every((e) => e.source.channelId === 'site-dft'));
    t.deepEqual(first.map((e) => [e.code, e.glAccount]).sort(), [
      ['LAB-CBC', '6100-LAB'],
      ['RAD-XR', '6200-RAD'],
    ]);
    // A code the table has not: the message fails naming the table (AE), and is kept for replay.
    await send(port, dft('NS9', [['LAB-XYZ', 'UNKNOWN TEST', '1.00']]), 'AE');

    // LAB-CBC moves to 6150-LAB: version 2 of the table, its diff.
    await page.goto(`${analyst.base}/tables/cpt-to-gl`);
    await page.getByText('site-dft v1 (north-dft-charges)').waitFor();
    await page.getByLabel('Filter rows').fill('LAB-CBC');
    await page.getByLabel('gl_account of row 1').fill('6150-LAB');
    await page.getByLabel('Comment for this version').fill('LAB moves to 6150');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Saved version 2.').waitFor();
    await page.getByRole('button', { name: 'Compare' }).click();
    t.regex(
      await page.locator('.table-diff').innerText(),
      /0 added, 0 removed, 1 changed[\s\S]*LAB-CBC\s+gl_account\s+6100-LAB\s+6150-LAB/,
    );
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'analyst-mapping-table-diff');

    // A channel version pinning table v2 with mapping v1: its fixture now fails, the deploy is refused.
    await page.goto(`${analyst.base}/channels/site-dft/edit`);
    await page.getByText('newer version v2 available').waitFor();
    await page.getByLabel('Version of table cpt-to-gl').selectOption('2');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Saved version 2.').waitFor();
    await page.getByRole('button', { name: 'Deploy v2' }).click();
    const refused = page.locator('.deploy-refused');
    await refused.waitFor();
    t.regex(await refused.innerText(), /north-dft-charges@1 fails its fixture lab and radiology/);
    t.is(await page.getByRole('button', { name: 'Deploy anyway' }).count(), 0, 'only an administrator may deploy anyway');
    await screenshot(page, 'analyst-mapping-deploy-refused');

    // The mapping's fixture shows what changed; the analyst expects the new account and saves v2.
    await page.goto(`${analyst.base}/mappings/north-dft-charges`);
    await page.getByRole('heading', { name: 'Fixtures (2: 1 failing)' }).waitFor();
    t.regex(await page.locator('.fixtures').innerText(), /glAccount: 6100-LAB → 6150-LAB/);
    await page.getByRole('button', { name: 'Expect the new output of lab and radiology' }).click();
    await page.getByRole('heading', { name: 'Fixtures (2: all pass)' }).waitFor();
    await page.getByLabel('Comment for this version').fill('LAB account 6150');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Saved version 2.').waitFor();

    // Channel v3 pins both new versions; previewed against stored traffic first, then deployed.
    await page.goto(`${analyst.base}/channels/site-dft/edit`);
    await page.getByLabel('Version of mapping north-dft-charges').selectOption('2');
    await page.getByRole('button', { name: 'Preview the draft against stored traffic' }).click();
    await page.getByText(/Examined 2 messages: 1 would change/).waitFor();
    t.regex(await page.locator('.traffic-preview').innerText(), /glAccount[\s\S]*6100-LAB[\s\S]*6150-LAB/);
    t.regex(await page.locator('.traffic-preview').innerText(), /0 would now fail/);
    t.regex(await page.locator('.traffic-preview').innerText(), /Lookups finding no row[\s\S]*cpt-to-gl\s+LAB-XYZ\s+1/);
    t.false(await overflowsHorizontally(page));
    await screenshot(page, 'analyst-mapping-traffic-preview');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByText('Saved version 3.').waitFor();
    await page.getByRole('button', { name: 'Deploy v3' }).click();
    await deployedPort(page, sb, 3);

    // Support dry-runs sending the delivered message again: the account it would carry now.
    const [stored] = await sb.engine.store!.messages.list({ channelId: 'site-dft', status: 'delivered', limit: 5 });
    await dryRunResend(await openConsole(browser, sb), stored!._id, t);

    // Rolled back to v1 (table v1): the next message gets 6100-LAB again.
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    port = await deployedPort(page, sb, 4);
    const again = await sendAndReceive(erp, port, twoLines('NS2'), 2);
    t.is(again.find((e) => e.code === 'LAB-CBC')?.glAccount, '6100-LAB');
    await screenshot(page, 'analyst-mapping-rolled-back');
    t.deepEqual(analyst.problems, []);
  },
);

async function dryRunResend(
  support: ConsolePage,
  messageId: string,
  t: { regex(s: string, r: RegExp): void; deepEqual(a: unknown, b: unknown): void },
) {
  const { page } = support;
  await signInAs(support, 'sam.support');
  await page.goto(`${support.base}/messages/${messageId}`);
  await waitFor('delivered on the message page', async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    return (await page.locator('.delivery h3').innerText()).includes('delivered');
  });
  await page.getByText('Send to erp again…').click();
  const resend = page.locator('details.resend');
  await resend.getByLabel(/Reason/).fill('GL account of LAB-CBC changed (FIN-88)');
  await resend.getByRole('button', { name: 'Dry run' }).click();
  await resend.getByText(/Dry run: \d+ deliver(y|ies) would be replayed\./).waitFor();
  t.regex(await resend.locator('.dry-run').innerText(), /glAccount: 6100-LAB → 6150-LAB/);
  await screenshot(page, 'support-mapping-dry-run');
  t.deepEqual(support.problems, []);
}

test('a mapping with a type error, a bad path and a failing fixture shows each beside its field and cannot be deployed', async (t) => {
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
  await createTable(page);
  await createMapping(page);
  await fillExpressions(page, { glAccount: "lookup('cpt-to-gl', ZCH-2)", serviceDate: 'dateTime(FT1-4)' });
  await page.getByRole('heading', { name: 'Preview: 2 events' }).waitFor();
  await page.getByRole('button', { name: 'Save as fixture' }).click();

  // A changed description no longer gives what the fixture expects.
  await fillExpressions(page, { description: 'lower(FT1-7.2)' });
  await page.getByRole('heading', { name: 'Fixtures (1: 1 failing)' }).waitFor();
  t.regex(await page.locator('.fixtures').innerText(), /description: CBC PANEL → cbc panel/);

  // A string for a number and a path that is none: each named beside its field, and the save refused.
  await fillExpressions(page, { quantity: 'FT1-7.2', department: 'FT1-0' });
  const quantityNotes = page.locator('#expr-quantity-notes');
  await quantityNotes.locator('.error').first().waitFor();
  t.regex(await quantityNotes.innerText(), /quantity: the expression gives a string, the field takes a number/);
  t.regex(await page.locator('#expr-department-notes').innerText(), /department: .+\(line 1, column \d+\)/);
  t.is(await page.getByLabel('quantity', { exact: true }).getAttribute('aria-invalid'), 'true');
  await page.getByRole('button', { name: 'Save version' }).click();
  t.regex(await page.locator('.mapping-problems').innerText(), /quantity[\s\S]*department/);
  await screenshot(page, 'analyst-mapping-errors');

  // Fixed expressions save (the fixture still fails), and a channel pinning that version is not deployed.
  await fillExpressions(page, { quantity: 'number(FT1-10) ?? 1', department: 'FT1-13.1' });
  await page.getByRole('button', { name: 'Save version' }).click();
  await page.getByText(/Saved version 1\. 1 fixtures fail/).waitFor();
  const channel = {
    ...testChannel({ erpUrl: erp.url, id: 'site-dft' }),
    accept: ['DFT^P03'],
    transforms: [],
    mappings: [{ id: 'north-dft-charges', version: 1 }],
    tables: { 'cpt-to-gl': 1 },
  };
  const saved = await sb.engine.http!.inject({ method: 'PUT', url: '/api/channels/site-dft', headers: sb.adminHeaders, payload: channel });
  t.is(saved.statusCode, 201, saved.body);
  await page.goto(`${analyst.base}/channels/site-dft`);
  await page.getByRole('button', { name: 'Deploy v1' }).click();
  await page.locator('.deploy-refused').waitFor();
  t.regex(await page.locator('.deploy-refused').innerText(), /north-dft-charges@1 fails its fixture sample 1/);
  t.is(await page.getByRole('button', { name: 'Deploy anyway' }).count(), 0);
  t.deepEqual(analyst.problems, []);

  // An administrator may, with a reason.
  const admin = await openConsole(browser, sb);
  await signInAs(admin, TEST_ADMIN.username, TEST_ADMIN.password);
  await admin.page.goto(`${admin.base}/channels/site-dft`);
  await admin.page.getByRole('button', { name: 'Deploy v1' }).click();
  await admin.page.getByLabel(/^Reason to deploy anyway/).fill('ERP cut-over tonight (CHG-12)');
  await admin.page.getByRole('button', { name: 'Deploy anyway' }).click();
  await deployedPort(admin.page, sb, 1);
  t.deepEqual(admin.problems, []);
});
