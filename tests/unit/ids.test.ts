import test from 'ava';
import { newMessageId } from '../../engine/ids.ts';

test('message ids are UUIDv7 and strictly increasing, also within one millisecond', (t) => {
  const ids = Array.from({ length: 5000 }, () => newMessageId(1_780_000_000_000));
  t.true(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)));
  t.true(ids.every((id, i) => i === 0 || id > ids[i - 1]!));
  t.true(newMessageId() > ids.at(-1)!);
});
