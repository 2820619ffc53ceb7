import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { apiCall, channelPort } from '../support/admin-api.ts';
import { deploySiteFeed, SITE_TABLE_CSV, siteChannel, siteDft, siteMapping } from '../support/site-dft.ts';

/** The codes of message `i`: a quarter each LAB-CBC, RAD-XR, both, and a code the table lacks. */
const codesOf = (i: number) => [['LAB-CBC'], ['RAD-XR'], ['LAB-CBC', 'RAD-XR'], ['XRAY-OLD']][i % 4]!;

type Preview = {
  examined: number;
  changed: { messageId: string; status: { before: string; after: string }; diff: { path: string; before: unknown; after: unknown }[] }[];
  nowFailing: number;
  lookupMisses: { table: string; key: string; count: number }[];
};

test('a draft channel version previewed against the last 200 stored messages lists exactly the messages it alters', async (t) => {
  const erp = await startErpSimulator();
  const sb = await startTestEngine({ channels: [] });
  t.teardown(async () => (await sb.close(), await erp.close()));
  t.is((await deploySiteFeed(sb, erp.url)).status, 200);
  const port = await waitFor('listening', () => channelPort(sb, 'site-dft'));
  const client = await MllpTestClient.connect(port);
  const byControlId = new Map<string, string[]>();
  for (let i = 0; i < 200; i++) {
    const ack = await client.send(siteDft(`PV${i}`, codesOf(i)));
    t.is(field(ack, 'MSA', 1), codesOf(i)[0] === 'XRAY-OLD' ? 'AE' : 'AA');
    byControlId.set(`PV${i}`, codesOf(i));
  }
  client.close();

  // The RAD-XR account changes in table version 2; the draft pins it.
  await apiCall(sb, 'PUT', '/api/tables/cpt-to-gl/csv', SITE_TABLE_CSV.replace('6200-RAD', '6250-RAD'));
  const draft = siteChannel({ erpUrl: erp.url, mapping: 1, table: 2 });
  const res = await apiCall(sb, 'POST', '/api/channels/site-dft/preview', { channel: draft, limit: 200 });
  t.is(res.status, 200, JSON.stringify(res.body));
  const preview = res.body as unknown as Preview;
  t.is(preview.examined, 200);
  const stored = await sb.engine.store!.messages.list({ channelId: 'site-dft', limit: 200 });
  const controlId = new Map(stored.map((m) => [m._id, m.summary!.controlId]));
  const expected = [...byControlId].filter(([, codes]) => codes.includes('RAD-XR')).map(([id]) => id);
  t.deepEqual(preview.changed.map((c) => controlId.get(c.messageId)).sort(), expected.sort(), 'exactly the messages with RAD-XR');
  for (const c of preview.changed) {
    t.deepEqual(c.status, { before: 'routed', after: 'routed' });
    t.deepEqual(
      c.diff.map((d) => [d.before, d.after]),
      [['6200-RAD', '6250-RAD']],
    );
  }
  t.is(preview.nowFailing, 0);
  t.deepEqual(preview.lookupMisses, [{ table: 'cpt-to-gl', key: 'XRAY-OLD', count: 50 }], 'the missing code, counted');

  // A table without LAB-CBC: those messages would now fail.
  const lines = SITE_TABLE_CSV.split('\r\n').filter((l) => !l.startsWith('LAB-CBC'));
  await apiCall(sb, 'PUT', '/api/tables/cpt-to-gl/csv', lines.join('\r\n'));
  const withoutLab = { channel: siteChannel({ erpUrl: erp.url, mapping: 1, table: 3 }), limit: 200 };
  const failing = (await apiCall(sb, 'POST', '/api/channels/site-dft/preview', withoutLab)).body as unknown as Preview;
  t.is(failing.nowFailing, 100);
  t.deepEqual(
    failing.lookupMisses.map((m) => [m.key, m.count]),
    [
      ['LAB-CBC', 100],
      ['XRAY-OLD', 50],
    ],
  );
  t.is((await sb.engine.store!.messages.list({ channelId: 'site-dft', limit: 300 })).length, 200, 'a preview stores nothing');
});
