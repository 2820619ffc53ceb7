import test from 'ava';
import { KeyedLock } from '../../engine/store/keyed-lock.ts';

const tick = () => new Promise((r) => setImmediate(r));

test('work of one key runs one at a time, in call order; other keys run meanwhile; nothing is kept after', async (t) => {
  const lock = new KeyedLock();
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const a1 = lock.run('a', async () => (log.push('a1 start'), await gate, log.push('a1 end'), 1));
  const a2 = lock.run('a', async () => (log.push('a2'), 2));
  const b1 = lock.run('b', async () => (log.push('b1'), 3));
  await b1;
  await tick();
  t.deepEqual(log, ['a1 start', 'b1'], 'a2 waits for a1; b1 does not');
  release();
  t.deepEqual(await Promise.all([a1, a2]), [1, 2]);
  t.deepEqual(log, ['a1 start', 'b1', 'a1 end', 'a2']);
  await tick();
  t.is(lock.size, 0);
});

test("a failure is its caller's and does not stop the next work of its key", async (t) => {
  const lock = new KeyedLock();
  const failed = lock.run('k', async () => {
    throw new Error('boom');
  });
  const next = lock.run('k', async () => 'ran');
  await t.throwsAsync(failed, { message: 'boom' });
  t.is(await next, 'ran');
});
