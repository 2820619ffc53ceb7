import test from 'ava';
import { createMessage, decodeBytes, encodeText, parseMessage, buildAck, readHeader } from '../../hl7v2/index.ts';

test('a built message escapes on write and reads back what was set', (t) => {
  const m = createMessage({
    messageType: 'DFT',
    triggerEvent: 'P03',
    messageStructure: 'DFT_P03',
    controlId: 'OUT1',
    sendingApplication: 'SWITCHBOARD',
    now: new Date('2026-03-20T14:30:00Z'),
  });
  m.addSegment('PID');
  m.set('PID-3[1].1', '100234').set('PID-3[1].5', 'MR').set('PID-3[2].1', '999').set('PID-5.1', "O'NEIL & SONS|^~");
  m.addSegment('FT1');
  m.set('FT1-7.1', '27447');
  t.is(
    m.encode(),
    'MSH|^~\\&|SWITCHBOARD||||20260320143000||DFT^P03^DFT_P03|OUT1|P|2.5.1\r' +
      "PID|||100234^^^^MR~999||O'NEIL \\T\\ SONS\\F\\\\S\\\\R\\\r" +
      'FT1|||||||27447\r',
  );
  const again = parseMessage(m.encode());
  t.is(again.get('PID-5.1'), "O'NEIL & SONS|^~");
  t.is(again.repetitionCount('PID-3'), 2);
  t.is(again.header.messageType, 'DFT');
});

test('set changes a parsed message in place and keeps the rest byte for byte', (t) => {
  const text = 'MSH|^~\\&|A|B|C|D|20260101||ADT^A08|X1|P|2.5.1\rPID|1||1^^^H^MR||DOE^JANE^Q\rPV1|1|I\r';
  const m = parseMessage(text);
  m.set('PID-5.2', 'JOAN');
  t.is(m.encode(), text.replace('DOE^JANE^Q', 'DOE^JOAN^Q'));
  t.throws(() => m.set('MSH-2', 'x'), { instanceOf: TypeError });
  t.throws(() => m.set('OBX-1', 'x'), { message: /no OBX/ });
});

test('groups: the FT1 lines of a DFT with their site segments, and a patient with its visit', (t) => {
  const m = parseMessage('MSH|^~\\&|A|B|C|D|20260101||DFT^P03|X1|P|2.5.1\rPID|1||1\rPV1|1|I\rFT1|1\rZFT|1|CC1\rFT1|2\rFT1|3\rZFT|3|CC3\r');
  t.deepEqual(
    m.groups('FT1', ['ZFT']).map((g) => g.map((s) => s.raw)),
    [['FT1|1', 'ZFT|1|CC1'], ['FT1|2'], ['FT1|3', 'ZFT|3|CC3']],
  );
  t.deepEqual(
    m.groups('PID', ['PV1']).map((g) => g.map((s) => s.name)),
    [['PID', 'PV1']],
  );
  t.deepEqual(m.repetitions('PID-3'), ['1']);
});

test('a repetition with an empty first one', (t) => {
  const m = parseMessage('MSH|^~\\&|A|B|C|D|20260101||ADT^A08|X1|P|2.5.1\rPID|1||~200^^^H^MR\r');
  t.deepEqual(m.repetitions('PID-3'), ['', '200^^^H^MR']);
  t.is(m.get('PID-3[2].1'), '200');
});

test('8859/1 bytes are decoded per MSH-18, and the ACK goes back in the same charset', (t) => {
  const text = 'MSH|^~\\&|A|B|C|D|20260101||ADT^A08|L1|P|2.5.1||||||8859/1\rPID|1||1||MÜLLER^JOSÉ\r';
  const { text: decoded, charset } = decodeBytes(Buffer.from(text, 'latin1'));
  t.is(charset, '8859/1');
  t.is(parseMessage(decoded).get('PID-5.1'), 'MÜLLER');
  const ack = buildAck({ header: readHeader(decoded), code: 'AE', controlId: 'A1', text: 'Prüfung fehlgeschlagen' });
  const bytes = encodeText(ack, charset);
  t.true(Buffer.from(bytes).includes(Buffer.from('Prüfung', 'latin1')));
  t.false(Buffer.from(bytes).includes(Buffer.from('Prüfung', 'utf8')));
});

test('an empty MSH-18 uses the channel default, and an unknown one falls back and says so', (t) => {
  const plain = 'MSH|^~\\&|A|B|C|D|20260101||ADT^A08|L1|P|2.5.1\rPID|1||1||MÜLLER\r';
  t.is(decodeBytes(Buffer.from(plain, 'latin1'), { defaultCharset: '8859/1' }).text.includes('MÜLLER'), true);
  const odd = decodeBytes(Buffer.from(plain.replace('2.5.1', '2.5.1||||||KLINGON'), 'utf8'));
  t.is(odd.unknownCharset, 'KLINGON');
  t.is(odd.charset, 'UNICODE UTF-8');
});
