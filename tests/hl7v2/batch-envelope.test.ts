import test from 'ava';
import { decodeBytes, parseBatch } from '../../hl7v2/index.ts';
import { corpusCase, requireShared } from '../support/shared.ts';

test('corpus 007: every envelope path (FHS, BHS, BTS, FTS) reads from the batch, trailer counts included', async (t) => {
  if (!requireShared(t)) return;
  const { bytes, expect } = await corpusCase('007-batch-fhs-bhs');
  const batch = parseBatch(decodeBytes(bytes).text);
  const values = expect.values as Record<string, string>;
  t.like(values, { 'BTS-1': '3', 'FTS-1': '1' }, 'the case names the trailer counts');
  for (const [path, value] of Object.entries(values)) t.is(batch.get(path), value, path);
});

test('trailer and header fields by path; absent segments, fields and other occurrences read as empty', (t) => {
  const text = 'BHS|^~\\&|EPIC|GENHOSP|ERP|FIN|20260101||||B1\rMSH|^~\\&|A|B|C|D|20260101||ADT^A08|M1|P|2.5.1\rBTS|1|end of batch^ok\r';
  const batch = parseBatch(text);
  t.is(batch.get('BTS-1'), '1');
  t.is(batch.get('BTS-2.2'), 'ok');
  t.is(batch.get('BHS-11'), 'B1');
  t.is(batch.get('BHS-3'), 'EPIC');
  t.is(batch.get('FTS-1'), '');
  t.is(batch.get('FHS-11'), '');
  t.is(batch.get('BTS(2)-1'), '');
  t.is(batch.get('MSH-10'), '', 'message segments are read from batch.messages, not the envelope');
  t.is(batch.batchTrailer?.field(1), '1');
  t.is(batch.fileTrailer, undefined);
});
