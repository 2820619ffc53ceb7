import test from 'ava';
import { decodeBytes, encodeText, parseMessage, unescapeValue, DEFAULT_DELIMITERS } from '../../hl7v2/index.ts';

const ascii = (s: string) => Buffer.from(s, 'ascii');
const header = (charset: string, id = 'C1') => `MSH|^~\\&|A|B|C|D|20260101||ADT^A08|${id}|P|2.5.1||||||${charset}\r`;

/** Every MSH-18 value the engine reads, a sample in its script, and one letter with its byte(s) written by hand. */
const CHARSETS = [
  { charset: 'ASCII', sample: 'SMITH^JOHN Q', letter: 'Q', bytes: [0x51] },
  { charset: '8859/1', sample: 'RENÉ^MÜLLER ÅSA ÿ', letter: 'É', bytes: [0xc9] },
  { charset: '8859/2', sample: 'ŁUKASZ^ŻÓŁĆ ŠŤŘ', letter: 'Ł', bytes: [0xa3] },
  { charset: '8859/5', sample: 'ЖУКОВ^Иван Щ', letter: 'Ж', bytes: [0xb6] },
  { charset: '8859/7', sample: 'ΠΑΠΑΔΟΠΟΥΛΟΣ^Ωμέγα', letter: 'Ω', bytes: [0xd9] },
  { charset: '8859/9', sample: 'ŞAHİN^Öğüt', letter: 'Ş', bytes: [0xde] },
  { charset: '8859/15', sample: 'ŒUVRE^5 € Šárka', letter: '€', bytes: [0xa4] },
  { charset: 'UNICODE UTF-8', sample: 'ŁUKASZ^Ωμέγα Ж €', letter: 'Ł', bytes: [0xc5, 0x81] },
  { charset: 'UNICODE', sample: 'ŁUKASZ^Ωμέγα Ж €', letter: 'Ł', bytes: [0xc5, 0x81] },
  { charset: 'UTF-8', sample: 'ŁUKASZ^Ωμέγα Ж €', letter: 'Ł', bytes: [0xc5, 0x81] },
] as const;

for (const c of CHARSETS) {
  test(`${c.charset}: bytes → text → the same bytes, and ${c.letter} is ${Buffer.from(c.bytes).toString('hex')}`, (t) => {
    const text = `${header(c.charset)}PID|1||1||${c.sample}\r`;
    const bytes = Buffer.from(encodeText(text, c.charset));
    const decoded = decodeBytes(bytes);
    t.is(decoded.charset, c.charset);
    t.is(decoded.invalid, undefined);
    t.is(decoded.text, text);
    t.deepEqual(Buffer.from(encodeText(decoded.text, decoded.charset)), bytes, 'text → the same bytes');
    t.is(parseMessage(decoded.text).get('PID-5.2'), c.sample.split('^')[1]!);

    // The letter's byte(s) as the standard assigns them, written by hand, not by the codec under test.
    const handMade = Buffer.concat([ascii(`${header(c.charset)}PID|1||1||X`), Buffer.from(c.bytes), ascii('X\r')]);
    t.is(parseMessage(decodeBytes(handMade).text).get('PID-5'), `X${c.letter}X`);
    t.deepEqual(Buffer.from(encodeText(c.letter, c.charset)), Buffer.from(c.bytes));
  });
}

test('8859/1: a \\Xhh\\ escape names bytes in the message charset (REN\\XC9\\ reads RENÉ)', (t) => {
  const m = parseMessage(decodeBytes(ascii(`${header('8859/1')}PID|1||1||REN\\XC9\\^LUC\r`)).text);
  t.is(m.get('PID-5.1'), 'RENÉ');
  t.is(m.getRaw('PID-5.1'), 'REN\\XC9\\');
});

test('hex escapes follow MSH-18, or the charset the text was decoded with when MSH-18 is empty', (t) => {
  t.is(parseMessage(`${header('8859/2')}PID|1||1||\\XA3\\UKASZ\r`).get('PID-5'), 'ŁUKASZ');
  t.is(parseMessage(`${header('8859/7')}PID|1||1||\\XD9\\\r`).get('PID-5'), 'Ω');
  t.is(parseMessage(`${header('UNICODE UTF-8')}PID|1||1||\\XC581\\UKASZ\r`).get('PID-5'), 'ŁUKASZ');
  t.is(parseMessage(`${header('')}PID|1||1||REN\\XC9\\\r`, { charset: '8859/1' }).get('PID-5'), 'RENÉ');
  t.is(parseMessage(`${header('')}PID|1||1||\\XC581\\\r`).get('PID-5'), 'Ł', 'default UNICODE UTF-8');
  t.is(unescapeValue('\\XC9\\', DEFAULT_DELIMITERS, '8859/1'), 'É');
});

test('a hex escape whose bytes are not valid in the charset is kept as written, never replaced', (t) => {
  t.is(parseMessage(`${header('UNICODE UTF-8')}PID|1||1||A\\XC5\\B\r`).get('PID-5'), 'A\\XC5\\B');
  t.is(parseMessage(`${header('8859/7')}PID|1||1||\\XAE\\\r`).get('PID-5'), '\\XAE\\');
  t.is(parseMessage(`${header('ASCII')}PID|1||1||\\XE9\\\r`).get('PID-5'), '\\XE9\\');
});

test('many genuine U+FFFD before a bad byte: the bad byte is located by a running offset (a frame of them is read in one pass)', (t) => {
  const head = header('UNICODE UTF-8', 'BAD2');
  // 20,000 genuine U+FFFD (3 bytes each) with multi-byte letters between, then an invalid byte.
  const body = Buffer.from('\u{FFFD}Ł€'.repeat(20_000), 'utf8');
  const bytes = Buffer.concat([ascii(`${head}PID|1||1||`), body, Buffer.from([0xff]), ascii('\r')]);
  const decoded = decodeBytes(bytes);
  t.is(decoded.invalid?.offset, head.length + 'PID|1||1||'.length + body.length);
  t.is(decoded.invalid?.segment, 'PID');
});

test('bytes not valid in the declared charset are reported with where they are (UTF-8)', (t) => {
  const head = header('UNICODE UTF-8', 'BAD1');
  const bytes = Buffer.concat([ascii(`${head}PID|1||1||`), Buffer.from('\u{FFFD}Ł', 'utf8'), Buffer.from([0xc3, 0x28]), ascii('X\r')]);
  const decoded = decodeBytes(bytes);
  t.truthy(decoded.invalid);
  t.is(decoded.invalid!.offset, head.length + 'PID|1||1||'.length + 5, 'a genuine U+FFFD before the bad byte is not counted as bad');
  t.is(decoded.invalid!.line, 2);
  t.is(decoded.invalid!.segment, 'PID');
  t.regex(decoded.invalid!.reason, /not valid UNICODE UTF-8/);
  t.regex(decoded.invalid!.reason, /line 2, segment PID/);
  t.is(decoded.charset, 'UNICODE UTF-8');
});

test('invalid bytes are reported under an empty MSH-18 (channel default), for 8859/7 holes and for 8-bit ASCII', (t) => {
  const utf8 = decodeBytes(Buffer.concat([ascii(`${header('')}PID|1||1||`), Buffer.from([0xe9]), ascii('\r')]));
  t.is(utf8.invalid?.segment, 'PID');
  t.is(
    decodeBytes(Buffer.concat([ascii(`${header('')}PID|1||1||`), Buffer.from([0xe9]), ascii('\r')]), { defaultCharset: '8859/1' }).invalid,
    undefined,
  );
  const greek = decodeBytes(Buffer.concat([ascii(header('8859/7')), ascii('PID|1||1||'), Buffer.from([0xae]), ascii('\r')]));
  t.is(greek.invalid?.offset, header('8859/7').length + 'PID|1||1||'.length);
  t.regex(greek.invalid!.reason, /not valid 8859\/7/);
  t.truthy(decodeBytes(Buffer.concat([ascii(header('ASCII')), ascii('PID|1||1||'), Buffer.from([0xe9]), ascii('\r')])).invalid);
  t.is(
    decodeBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), ascii(header('8859/1')), Buffer.from('Ł\r')])).invalid,
    undefined,
    'a BOM means UTF-8',
  );
});

test('a character the charset cannot hold is written as ?, the one documented substitution of the encoder', (t) => {
  t.deepEqual(Buffer.from(encodeText('AŁB', '8859/1')), ascii('A?B'));
  t.deepEqual(Buffer.from(encodeText('Ω', 'ASCII')), ascii('?'));
});
