import test from 'ava';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileBatchDestination } from '../../connectors/file-batch/file-batch.destination.ts';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import type { DestinationDefinition } from '../../engine/connector.ts';
import { silentLogger } from '../../engine/log.ts';
import { destinationConformance } from '../conformance/destination-suite.ts';

const make = (directory: string, extra: Record<string, unknown> = {}) =>
  fileBatchDestination.create(parseConnectorConfig(fileBatchDestination, { directory, ...extra }, 'test'), { log: silentLogger() });
const ctx = (key: string) => ({ idempotencyKey: key, attempt: 1, signal: new AbortController().signal, log: silentLogger() });
const charge = (code: string, value: number) => ({ model: 'ChargeEvent', modelVersion: 1, event: { code, quantity: 1, amount: { value, currency: 'USD' }, costCenter: 'CC-1, "main"' } });

/** Idempotency keys in the released files and the open spool. */
async function keysIn(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ndjson') || f.endsWith('.csv'));
  const released: string[] = [];
  for (const f of files) {
    const lines = (await readFile(path.join(dir, f), 'utf8')).split(/\r?\n/).filter(Boolean);
    if (f.endsWith('.ndjson')) released.push(...lines.map((l) => (JSON.parse(l) as { idempotencyKey?: string }).idempotencyKey).filter((k): k is string => k !== undefined));
    else released.push(...lines.slice(1, -1).map((l) => l.split(',')[0]!));
  }
  const spool = await readFile(path.join(dir, '.spool/current.ndjson'), 'utf8').catch(() => '');
  return [...released, ...spool.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { key: string }).key)];
}

destinationConformance({
  definition: fileBatchDestination as unknown as DestinationDefinition,
  async up() {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-batch-'));
    return { connector: make(dir), received: () => keysIn(dir), close: () => rm(dir, { recursive: true, force: true }) };
  },
  async down() {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-batch-'));
    await writeFile(path.join(dir, 'not-a-directory'), '');
    return make(path.join(dir, 'not-a-directory', 'gl'));
  },
});

test('a CSV batch is released at maxLines, atomically, with a trailer holding the count and the control total', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sb-batch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const c = make(dir, { format: 'csv', columns: ['code', 'amount.value', 'costCenter'], maxLines: 3 });
  await c.connect(new AbortController().signal);
  await c.send(charge('27447', 4250), ctx('m1:gl:1'));
  await c.send(charge('C1776', 12.5), ctx('m1:gl:2'));
  t.deepEqual((await readdir(dir)).filter((f) => !f.startsWith('.')), [], 'nothing released before the batch is full');
  await c.send(charge('SUP-1', 0.25), ctx('m1:gl:3'));
  const files = (await readdir(dir)).filter((f) => !f.startsWith('.'));
  t.is(files.length, 1);
  t.regex(files[0]!, /^journal-.*-3\.csv$/);
  t.is(
    await readFile(path.join(dir, files[0]!), 'utf8'),
    'idempotencyKey,model,code,amount.value,costCenter\r\nm1:gl:1,ChargeEvent,27447,4250,"CC-1, ""main"""\r\nm1:gl:2,ChargeEvent,C1776,12.5,"CC-1, ""main"""\r\nm1:gl:3,ChargeEvent,SUP-1,0.25,"CC-1, ""main"""\r\nTRAILER,3,4262.75\r\n',
  );
  await c.close();
});

test('lines spooled before a crash are released after the next connect, and keys already released are not written again', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sb-batch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const first = make(dir, { maxLines: 2 });
  await first.connect(new AbortController().signal);
  await first.send(charge('A', 1), ctx('k:1'));
  await first.send(charge('B', 2), ctx('k:2'));
  await first.send(charge('C', 3), ctx('k:3'));
  // No close(): the process "dies" with k:3 only in the spool.
  const second = make(dir, { maxLines: 2 });
  await second.connect(new AbortController().signal);
  await second.send(charge('B', 2), ctx('k:2'));
  await second.send(charge('D', 4), ctx('k:4'));
  await second.close();
  const keys = await keysIn(dir);
  t.deepEqual([...keys].sort(), ['k:1', 'k:2', 'k:3', 'k:4']);
});
