import test from 'ava';
import fc from 'fast-check';
import { MllpFramer, frame } from '../../connectors/mllp/mllp.framer.ts';

const framesOf = (framer: MllpFramer, chunks: Buffer[]) =>
  chunks
    .flatMap((c) => framer.push(c))
    .filter((e) => e.kind === 'frame')
    .map((e) => (e as { bytes: Buffer }).bytes.toString('latin1'));

test('one frame in one read', (t) => {
  t.deepEqual(framesOf(new MllpFramer(1024), [frame(Buffer.from('MSH|a'))]), ['MSH|a']);
});

test('several frames in one read, in order', (t) => {
  const data = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.from('two')), frame(Buffer.from('three'))]);
  t.deepEqual(framesOf(new MllpFramer(1024), [data]), ['one', 'two', 'three']);
});

test('a frame split at every possible byte boundary, including between 0x1C and 0x0D', (t) => {
  const data = Buffer.concat([frame(Buffer.from('MSH|^~\\&|A')), frame(Buffer.from('second'))]);
  for (let cut = 1; cut < data.length; cut++) {
    t.deepEqual(framesOf(new MllpFramer(1024), [data.subarray(0, cut), data.subarray(cut)]), ['MSH|^~\\&|A', 'second'], `cut at ${cut}`);
  }
});

test('any chunking of any frames gives back the same frames', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.array(
          fc.uint8Array({ maxLength: 50 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0b && b !== 0x1c))),
          { maxLength: 8 },
        ),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 20 }),
        (payloads, sizes) => {
          const data = Buffer.concat(payloads.map((p) => frame(p)));
          const chunks: Buffer[] = [];
          for (let pos = 0, i = 0; pos < data.length; i++) {
            const size = sizes[i % sizes.length]!;
            chunks.push(data.subarray(pos, pos + size));
            pos += size;
          }
          const out = framesOf(new MllpFramer(1 << 20), chunks);
          return out.length === payloads.length && out.every((o, i) => o === payloads[i]!.toString('latin1'));
        },
      ),
    ),
  );
});

test('blank bytes between frames are ignored, other bytes are reported as junk', (t) => {
  const framer = new MllpFramer(1024);
  const events = framer.push(Buffer.concat([Buffer.from('\r\n  '), frame(Buffer.from('a')), Buffer.from('xyz'), frame(Buffer.from('b'))]));
  t.deepEqual(
    events.map((e) => e.kind),
    ['frame', 'junk', 'frame'],
  );
  t.is((events[1] as { bytes: number }).bytes, 3);
});

test('a frame over the maximum is reported once with its head, and the next frame still works', (t) => {
  const framer = new MllpFramer(10);
  const events = [
    ...framer.push(Buffer.concat([Buffer.from([0x0b]), Buffer.from('MSH|0123456789')])),
    ...framer.push(Buffer.from('more\x1c\r')),
  ];
  t.deepEqual(
    events.map((e) => e.kind),
    ['too-large'],
  );
  t.is((events[0] as { head: Buffer }).head.toString().slice(0, 4), 'MSH|');
  t.deepEqual(framesOf(framer, [frame(Buffer.from('ok'))]), ['ok']);
});
