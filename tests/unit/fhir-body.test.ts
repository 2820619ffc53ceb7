import test from 'ava';
import { exceededLimit } from '../../connectors/fhir/json-limits.ts';
import { firstInvalidUtf8, readFhirBody } from '../../connectors/fhir/fhir-body.ts';

const limits = { maxKeys: 3, maxDepth: 2, maxArrayLength: 3 };
const scan = (text: string) => exceededLimit(Buffer.from(text), limits);

test('keys, depth and array elements are counted outside strings only', (t) => {
  t.is(scan('{"a":1,"b":{"c":2}}'), undefined);
  t.like(scan('{"a":1,"b":2,"c":3,"d":4}'), { limit: 'maxKeys', max: 3, offset: 22 });
  t.is(scan('{"a":"x:y:z:w,,,,[[[{{{"}'), undefined, 'punctuation inside a string');
  t.is(scan('{"a":"quote \\" then : and [ [ [","b":[1,2,3]}'), undefined, 'an escaped quote does not end the string');
  t.is(scan('{"a":"ends in a backslash \\\\","b":[1,2,3]}'), undefined, 'an escaped backslash before the closing quote');
  t.like(scan('{"a":[1,2,3,4]}'), { limit: 'maxArrayLength' });
  t.is(scan('[[1,2,3],[1,2,3],[1,2]]'), undefined, 'each array counted on its own');
  t.like(scan('{"a":{"b":[]}}'), { limit: 'maxDepth', max: 2 });
  t.is(scan('[1,2,3]'), undefined);
  t.like(scan('{"a":[1,2,3,{"b":1}]}'), { limit: 'maxArrayLength' }, 'an object element counts once');
});

test('invalid UTF-8 is reported where its first invalid sequence starts', (t) => {
  t.is(firstInvalidUtf8(Buffer.from([0x7b, 0x22, 0xff, 0x22])), 2);
  t.is(
    firstInvalidUtf8(Buffer.concat([Buffer.from('{"n":"Zoë'), Buffer.from([0xc3, 0x28])])),
    10,
    'a lead byte followed by no continuation',
  );
  t.is(firstInvalidUtf8(Buffer.from([0x7b, 0xe9, 0x7d])), 1, 'Latin-1 é');
  t.is(firstInvalidUtf8(Buffer.from([0x61, 0x80])), 1, 'a continuation byte without a lead');
  t.is(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x82])), 2, 'the text ends inside a character: its lead byte');
  t.is(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0, 'an encoded surrogate');
});

test('readFhirBody: charset, then UTF-8, then limits, then JSON', (t) => {
  const ok = readFhirBody('application/fhir+json; charset=UTF-8', Buffer.from('{"a":"ë"}'), limits);
  t.deepEqual(ok, { ok: true, text: '{"a":"ë"}', value: { a: 'ë' } });
  t.like(readFhirBody('application/fhir+json', Buffer.from('{}'), limits), { ok: true }, 'no charset: UTF-8');
  t.like(readFhirBody('application/json;charset="utf8"', Buffer.from('{}'), limits), { ok: true });
  t.like(readFhirBody('application/fhir+json; charset=iso-8859-1', Buffer.from('{}'), limits), {
    ok: false,
    status: 415,
    code: 'not-supported',
  });
  t.like(readFhirBody('application/fhir+json', Buffer.from([0x7b, 0xe9, 0x7d]), limits), {
    ok: false,
    status: 400,
    code: 'structure',
    text: 'The body is not valid UTF-8: the first invalid sequence starts at byte offset 1',
  });
  t.like(
    readFhirBody('application/fhir+json', Buffer.from('{"a":1,"b":2,"c":3,"d":4'), limits),
    { ok: false, status: 413, code: 'too-costly' },
    'limits before JSON',
  );
  t.like(readFhirBody('application/fhir+json', Buffer.from('{"a":'), limits), {
    ok: false,
    status: 400,
    text: 'The body is not valid JSON',
  });
});
