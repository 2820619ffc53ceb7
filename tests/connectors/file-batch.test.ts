import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileBatchDestination } from '../../connectors/file-batch/file-batch.destination.ts';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import type { DestinationDefinition } from '../../engine/connector.ts';
import { silentLogger } from '../../engine/log.ts';
import { destinationConformance } from '../conformance/destination-suite.ts';
import { waitFor } from '../support/harness.ts';
import { REPO_ROOT } from '../support/shared.ts';

const make = (directory: string, extra: Record<string, unknown> = {}) =>
  fileBatchDestination.create(parseConnectorConfig(fileBatchDestination, { directory, ...extra }, 'test'), { log: silentLogger() });
const ctx = (key: string) => ({ idempotencyKey: key, attempt: 1, signal: new AbortController().signal, log: silentLogger() });
const charge = (code: string, value: number) => ({
  model: 'ChargeEvent',
  modelVersion: 1,
  event: { code, quantity: 1, amount: { value, currency: 'USD' }, costCenter: 'CC-1, "main"' },
});

/** Idempotency keys in the released files and the open spool. */
async function keysIn(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ndjson') || f.endsWith('.csv'));
  const released: string[] = [];
  for (const f of files) {
    const lines = (await readFile(path.join(dir, f), 'utf8')).split(/\r?\n/).filter(Boolean);
    if (f.endsWith('.ndjson'))
      released.push(
        ...lines.map((l) => (JSON.parse(l) as { idempotencyKey?: string }).idempotencyKey).filter((k): k is string => k !== undefined),
      );
    else released.push(...lines.slice(1, -1).map((l) => l.split(',')[0]!));
  }
  return [...released, ...(await spooledKeys(dir))];
}

/** Idempotency keys in the spools (one per process, see the destination's TSDoc). */
async function spooledKeys(dir: string): Promise<string[]> {
  const spools = (await readdir(path.join(dir, '.spool')).catch(() => [])).filter((f) => /^(spool|adopting)-.*\.ndjson$/.test(f));
  const texts = await Promise.all(spools.map((f) => readFile(path.join(dir, '.spool', f), 'utf8').catch(() => '')));
  return texts.flatMap((text) =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { key: string }).key),
  );
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
  t.deepEqual(
    (await readdir(dir)).filter((f) => !f.startsWith('.')),
    [],
    'nothing released before the batch is full',
  );
  await c.send(charge('SUP-1', 0.25), ctx('m1:gl:3'));
  const files = (await readdir(dir)).filter((f) => !f.startsWith('.'));
  t.is(files.length, 1);
  t.regex(files[0]!, /^journal-.*-3\.csv$/);
  t.is(
    await readFile(path.join(dir, files[0]!), 'utf8'),
    'idempotencyKey,model,code,amount.value,costCenter\r\n' +
      'm1:gl:1,ChargeEvent,27447,4250,"CC-1, ""main"""\r\n' +
      'm1:gl:2,ChargeEvent,C1776,12.5,"CC-1, ""main"""\r\n' +
      'm1:gl:3,ChargeEvent,SUP-1,0.25,"CC-1, ""main"""\r\n' +
      'TRAILER,3,4262.75\r\n',
  );
  await c.close();
});

/** A process that spools `keys` (maxLines 2), says so on stdout and then waits to be killed. */
function spoolInChild(dir: string, keys: string[]): Promise<ChildProcess> {
  const script = `
    import { fileBatchDestination } from './connectors/file-batch/file-batch.destination.ts';
    import { parseConnectorConfig } from './engine/connector-config.ts';
    import { silentLogger } from './engine/log.ts';
    const config = ${JSON.stringify({ directory: dir, maxLines: 2, orphanAfterMs: 2000 })};
    const c = fileBatchDestination.create(parseConnectorConfig(fileBatchDestination, config, 'child'), { log: silentLogger() });
    await c.connect(new AbortController().signal);
    for (const key of ${JSON.stringify(keys)})
      await c.send(
        { model: 'ChargeEvent', modelVersion: 1, event: { code: key, amount: { value: 1 } } },
        { idempotencyKey: key, attempt: 1, signal: new AbortController().signal, log: silentLogger() },
      );
    console.log('spooled');
    setInterval(() => undefined, 60_000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the spooling process exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => line === 'spooled' && resolve(child));
  });
}

test('lines a killed process spooled are released once by the next process, and keys already released are not written again', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sb-batch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const child = await spoolInChild(dir, ['k:1', 'k:2', 'k:3']);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.deepEqual(await spooledKeys(dir), ['k:3'], 'the killed process left k:3 in its spool (k:1 and k:2 were released)');
  const next = make(dir, { maxLines: 2, maxAgeMs: 100, orphanAfterMs: 2000 });
  t.teardown(() => next.close());
  await next.connect(new AbortController().signal);
  t.is((await next.send(charge('B', 2), ctx('k:2'))).responseSummary, 'already spooled');
  await next.send(charge('D', 4), ctx('k:4'));
  // The dead process's lock goes stale after orphanAfterMs; the next look after that takes k:3 over.
  await waitFor('every line released', async () => (await spooledKeys(dir)).length === 0 && (await keysIn(dir)).length === 4, 20_000);
  t.deepEqual((await keysIn(dir)).sort(), ['k:1', 'k:2', 'k:3', 'k:4']);
});

test(
  'two destinations on one directory (two processes) keep their own spools: closing one leaves its ' +
    'lines to the other, each released once',
  async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-batch-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const [a, b] = [make(dir, { maxLines: 3, maxAgeMs: 100 }), make(dir, { maxLines: 3, maxAgeMs: 600_000 })];
    t.teardown(() => Promise.all([a.close(), b.close()]));
    await a.connect(new AbortController().signal);
    await b.connect(new AbortController().signal);
    for (let i = 0; i < 10; i++) await (i % 2 === 0 ? a : b).send(charge(`C${i}`, i), ctx(`k:${i}`));
    // b holds 2 unreleased lines (it released 3 at maxLines); closed, it gives its spool up and a takes it.
    await b.close();
    await waitFor('every line released', async () => (await spooledKeys(dir)).length === 0 && (await keysIn(dir)).length === 10, 20_000);
    t.deepEqual((await keysIn(dir)).sort(), Array.from({ length: 10 }, (_, i) => `k:${i}`).sort());
  },
);
