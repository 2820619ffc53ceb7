import test from 'ava';
import { BusinessMetrics, codeLabel, EngineMetrics, typeLabel } from '../../engine/metrics/engine-metrics.ts';
import { PrometheusText } from '../../engine/metrics/prometheus-text.ts';
import { bucketIndex, Counter, cumulative, Histogram } from '../../engine/metrics/registry.ts';

test('an observation falls in the first bucket whose upper bound it does not pass (le is inclusive)', (t) => {
  const bounds = [0.1, 0.5, 1];
  t.deepEqual(
    [0, 0.1, 0.100001, 0.5, 0.7, 1, 1.5, 1e9].map((v) => bucketIndex(bounds, v)),
    [0, 0, 1, 1, 2, 2, 3, 3],
  );
  t.is(bucketIndex([], 5), 0, 'no bounds: everything is +Inf');
  t.deepEqual(cumulative([1, 0, 2, 3]), [1, 1, 3, 6]);
});

test('a histogram writes cumulative buckets ending in +Inf, its sum and count; bad values are ignored', (t) => {
  const h = new Histogram('x_seconds', 'help', ['channel'], [0.1, 1]);
  for (const v of [0.05, 0.1, 0.5, 3, Number.NaN, -1]) h.observe(['a'], v);
  t.deepEqual(h.snapshot(['a']), { labels: { channel: 'a' }, buckets: [2, 3, 4], sum: 3.65, count: 4 });
  t.is(h.snapshot(['b']), undefined);
  const out = new PrometheusText();
  h.write(out);
  t.is(
    out.toString(),
    '# HELP x_seconds help\n# TYPE x_seconds histogram\n' +
      'x_seconds_bucket{channel="a",le="0.1"} 2\nx_seconds_bucket{channel="a",le="1"} 3\nx_seconds_bucket{channel="a",le="+Inf"} 4\n' +
      'x_seconds_sum{channel="a"} 3.65\nx_seconds_count{channel="a"} 4\n',
  );
  t.throws(() => new Histogram('y_seconds', 'h', [], [1, 1]), undefined, 'bounds must ascend');
  t.throws(() => h.observe([], 1), undefined, 'one value per label name');
});

test('a counter adds per series and only goes up', (t) => {
  const c = new Counter('x_total', 'help', ['channel', 'code']);
  c.inc(['a', 'E1']);
  c.inc(['a', 'E1'], 2.5);
  c.inc(['a', 'E2']);
  c.inc(['a', 'E2'], -4);
  c.inc(['a', 'E2'], Number.POSITIVE_INFINITY);
  t.deepEqual([c.value(['a', 'E1']), c.value(['a', 'E2']), c.value(['b', 'E1'])], [3.5, 1, 0]);
  const out = new PrometheusText();
  c.write(out);
  t.is(
    out.toString(),
    '# HELP x_total help\n# TYPE x_total counter\nx_total{channel="a",code="E1"} 3.5\nx_total{channel="a",code="E2"} 1\n',
  );
});

test('label values a sender could mint become "other": types not accepted, non-codes', (t) => {
  t.is(typeLabel(true, 'ADT', 'A01'), 'ADT^A01');
  t.is(typeLabel(false, 'ADT', 'A01'), 'other', 'a type the channel does not accept');
  t.is(typeLabel(true, 'ADT', 'ROEBUCK RITA'), 'other', 'not a code');
  t.is(typeLabel(true, undefined, undefined), 'other');
  t.deepEqual(
    [codeLabel('USD'), codeLabel('CG'), codeLabel('4711 ROEBUCK'), codeLabel(7), codeLabel('x'.repeat(21))],
    ['USD', 'CG', 'other', 'other', 'other'],
  );
});

test('intake outcomes: every message is received; accepted and refused apart; a duplicate is received only', (t) => {
  const m = new EngineMetrics();
  m.intake('ehr', 'ADT^A01', 'accepted');
  m.intake('ehr', 'ADT^A01', 'duplicate');
  m.intake('ehr', 'other', 'rejected', 'HL7_TYPE_NOT_ACCEPTED');
  m.intake('ehr', 'ADT^A01', 'unavailable', 'STORE_UNAVAILABLE');
  t.is(m.received.value(['ehr', 'ADT^A01']), 3);
  t.is(m.accepted.value(['ehr', 'ADT^A01']), 1);
  t.is(m.rejected.value(['ehr', 'other', 'HL7_TYPE_NOT_ACCEPTED']), 1);
  t.is(m.rejected.value(['ehr', 'ADT^A01', 'STORE_UNAVAILABLE']), 1);
});

test('business figures from delivered canonical events: charges and their amounts, supply lines, workforce events', (t) => {
  const b = new BusinessMetrics();
  b.delivered('ehr', 'erp', [
    { model: 'ChargeEvent', event: { transactionType: 'CG', amount: { value: 10.25, currency: 'USD' } } },
    { model: 'ChargeEvent', event: { transactionType: 'CD', amount: { value: -4, currency: 'USD' } } },
    { model: 'ChargeEvent', event: { transactionType: 'CG' } },
    { model: 'SupplyConsumptionEvent', event: {} },
    { model: 'WorkforceEvent', event: { eventType: 'onboard' } },
    { model: 'EncounterEvent', event: {} },
  ]);
  t.is(b.charges.value(['ehr', 'erp', 'CG']), 2);
  t.is(b.charges.value(['ehr', 'erp', 'CD']), 1);
  t.is(b.chargeAmount.value(['ehr', 'erp', 'CG', 'USD']), 10.25);
  t.is(b.chargeAmount.value(['ehr', 'erp', 'CD', 'USD']), 4, 'a credit counts its absolute amount, under its own type');
  t.is(b.supplyLines.value(['ehr', 'erp']), 1);
  t.is(b.workforce.value(['ehr', 'erp', 'onboard']), 1);
});
