import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  buildManifest,
  dataFileName,
  decodeLine,
  encodeLine,
  locateDataFile,
  parseManifest,
  type ManifestFile,
} from '../../engine/ops/retention/archive-format.ts';
import { ArchiveWriter } from '../../engine/ops/retention/archive-writer.ts';
import type { MessageContent, MessageState } from '../../engine/store/message-state.ts';

const RUN = '019b0000-0000-7000-8000-000000000001';

function message(id: string, at: string, status: MessageState['status'] = 'delivered'): { content: MessageContent; state: MessageState } {
  const receivedAt = new Date(at);
  const content = {
    _id: id,
    channelId: 'ehr-mllp',
    format: 'hl7v2',
    receivedAt,
    dedupeKey: `ehr-mllp|EPIC|GENHOSP|${id}`,
    raw: Buffer.from(`MSH|^~\\&|EPIC|GENHOSP|||20260101||ADT^A01|${id}|P|2.5.1\r`),
    charset: 'UTF-8',
    ack: { code: 'AA', sentAt: receivedAt },
    kid: 'k1',
    receivedMinute: at.slice(0, 16),
    searchKeys: ['mrn|h1:abc'],
  } as unknown as MessageContent;
  const state = {
    _id: id,
    channelId: 'ehr-mllp',
    receivedAt,
    status,
    deliveries: {
      erp: {
        destinationId: 'erp',
        status: 'delivered',
        idempotencyKey: `${id}:erp`,
        sentEvents: 1,
        attempts: [{ at: receivedAt, attempt: 1, outcome: 'delivered', durationMs: 12.5 }],
      },
    },
    updatedAt: receivedAt,
  } as unknown as MessageState;
  return { content, state };
}

test('a line holds both documents exactly as stored (binary, dates, numbers) and the listing fields in clear', (t) => {
  const m = message('m-1', '2026-01-02T03:04:05.678Z', 'dead');
  const text = encodeLine(m.content, m.state);
  const parsed = JSON.parse(text) as Record<string, unknown>;
  t.like(parsed, { v: 1, id: 'm-1', channelId: 'ehr-mllp', status: 'dead', receivedAt: '2026-01-02T03:04:05.678Z', kid: 'k1' });
  t.false(text.includes('GENHOSP'), 'the documents are not readable text in the line');
  const back = decodeLine(text);
  t.deepEqual(back.content, m.content);
  t.deepEqual(back.state, m.state);
  t.true(Buffer.isBuffer(back.content.raw));
  t.throws(() => decodeLine('{"v":2}'), { message: /format 1/ });
  t.throws(() => decodeLine(text.replace('"id":"m-1"', '"id":"m-2"')), { message: /another id/ });
});

test('file names: per received day and channel, the run in the name; a data file leads back to its directory and run', (t) => {
  const rel = dataFileName('2026-01-02', 'ehr-mllp', RUN);
  t.is(rel, path.join('2026-01-02', `ehr-mllp.${RUN}.ndjson.gz`));
  t.deepEqual(locateDataFile(path.join('/archive', rel)), { dir: '/archive', runId: RUN });
  t.is(locateDataFile('/tmp/other.ndjson.gz'), undefined);
  t.regex(dataFileName('2026-01-02', '../x', RUN), /^2026-01-02\/channel-2e2e2f78\./, 'an odd channel id cannot climb out');
});

test('the manifest: files sorted, totals, time range, keys; a damaged one is ARCHIVE_INVALID', (t) => {
  const files: ManifestFile[] = [
    {
      file: 'b',
      day: '2026-01-02',
      channelId: 'lab',
      messages: 2,
      byStatus: { dead: 2 },
      bytes: 20,
      sha256: 'a'.repeat(64),
      from: '2026-01-02T01:00:00.000Z',
      to: '2026-01-02T02:00:00.000Z',
    },
    {
      file: 'a',
      day: '2026-01-01',
      channelId: 'ehr',
      messages: 3,
      byStatus: { delivered: 3 },
      bytes: 30,
      sha256: 'b'.repeat(64),
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-01T05:00:00.000Z',
    },
  ];
  const m = buildManifest({ runId: RUN, createdAt: new Date('2026-12-07T00:00:00Z'), files, keyIds: ['k2', 'k1', 'k1'] });
  t.deepEqual(
    m.files.map((f) => f.file),
    ['a', 'b'],
  );
  t.deepEqual(m.totals, { files: 2, messages: 5, bytes: 50 });
  t.like(m, { sealed: true, keyIds: ['k1', 'k2'], from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T02:00:00.000Z' });
  t.deepEqual(parseManifest(JSON.stringify(m)), m);
  t.throws(() => parseManifest('{'), { message: /not JSON/ });
  t.throws(() => parseManifest(JSON.stringify({ ...m, files: [{ ...m.files[0], sha256: 'x' }] })), { message: /sha256/ });
});

test('the writer appends each batch as a gzip member, synced; the file reads whole, and the manifest counts and hashes it', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-archive-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const writer = new ArchiveWriter({ dir, runId: RUN });
  await writer.append('2026-01-02', 'ehr-mllp', [
    message('m-1', '2026-01-02T10:00:00.000Z'),
    message('m-2', '2026-01-02T09:00:00.000Z', 'dead'),
  ]);
  await writer.append('2026-01-02', 'ehr-mllp', [message('m-3', '2026-01-02T23:59:00.000Z')]);
  await writer.append('2026-01-03', 'ehr-mllp', [message('m-4', '2026-01-03T00:00:00.000Z')]);
  const done = await writer.finish(new Date('2026-12-07T00:00:00Z'));
  t.is(done?.file, path.join('manifests', `${RUN}.json`));
  const manifest = parseManifest(await readFile(path.join(dir, done!.file), 'utf8'));
  t.deepEqual(manifest.totals.messages, 4);
  const first = manifest.files[0]!;
  t.like(first, { day: '2026-01-02', channelId: 'ehr-mllp', messages: 3, byStatus: { delivered: 2, dead: 1 } });
  t.is(first.from, '2026-01-02T09:00:00.000Z');
  t.is(first.to, '2026-01-02T23:59:00.000Z');
  const bytes = await readFile(path.join(dir, first.file));
  t.is(createHash('sha256').update(bytes).digest('hex'), first.sha256);
  t.is(bytes.length, first.bytes);
  const lines = gunzipSync(bytes).toString('utf8').trim().split('\n');
  t.deepEqual(
    lines.map((l) => decodeLine(l).content._id),
    ['m-1', 'm-2', 'm-3'],
    'both members read as one stream',
  );
  t.is(await new ArchiveWriter({ dir, runId: RUN.replace(/1$/, '2') }).finish(), undefined, 'nothing written: no manifest');
});
