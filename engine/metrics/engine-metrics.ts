import type { PrometheusText } from './prometheus-text.ts';
import { Counter, Histogram } from './registry.ts';
import { RetentionMetrics } from '../ops/retention/retention-metrics.ts';

/** Latency buckets in seconds for ACKs and store commands: a millisecond to ten seconds. */
export const FAST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Latency buckets in seconds for deliveries and queue waits: ten milliseconds to an hour (retries included). */
export const SLOW_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] as const;

/** What intake made of one message. */
export type IntakeOutcome = 'accepted' | 'errored' | 'rejected' | 'duplicate' | 'unavailable';

/**
 * The counters and histograms this process keeps since it started (the hot path adds in memory: no
 * store or Redis round trip). Each process exposes its own (the admin server's /metrics, or a
 * worker's METRICS_PORT listener) and Prometheus sums them. Every label is a channel, destination,
 * queue or flow id, a message type from the channel's accept list, an outcome, an ACK code, an
 * error code, a canonical code (charge transaction type, currency, workforce event type) or a store
 * operation name: never message content, never patient data.
 */
export class EngineMetrics {
  readonly received = new Counter('switchboard_messages_received_total', 'Messages handed to intake, by channel and message type.', [
    'channel',
    'type',
  ]);
  readonly accepted = new Counter('switchboard_messages_accepted_total', 'Messages stored and answered AA, by channel and message type.', [
    'channel',
    'type',
  ]);
  readonly rejected = new Counter(
    'switchboard_messages_rejected_total',
    'Messages refused (AR), errored by a transform (AE) or not stored (AE), by channel, message type and error code.',
    ['channel', 'type', 'code'],
  );
  readonly ackLatency = new Histogram(
    'switchboard_ack_latency_seconds',
    'Time from an MLLP frame received to its ACK written (ack: the ACK code), or from a FHIR request received to its answer ' +
      'sent (ack: the HTTP status), by channel.',
    ['channel', 'ack'],
    FAST_BUCKETS,
  );
  readonly attempts = new Counter(
    'switchboard_delivery_attempts_total',
    'Delivery attempts by channel, destination, outcome (delivered, retrying, dead) and error code (none when delivered).',
    ['channel', 'destination', 'outcome', 'code'],
  );
  readonly endToEnd = new Histogram(
    'switchboard_delivery_latency_seconds',
    'Time from a message received to its delivery to a destination (retries included), by channel and destination.',
    ['channel', 'destination'],
    SLOW_BUCKETS,
  );
  readonly queueWait = new Histogram(
    'switchboard_queue_wait_seconds',
    'Time from a delivery job created to its first run, by queue.',
    ['queue'],
    SLOW_BUCKETS,
  );
  readonly storeCalls = new Histogram(
    'switchboard_store_call_duration_seconds',
    'Duration of store calls (pool wait included), by operation and outcome (ok, failed).',
    ['operation', 'outcome'],
    FAST_BUCKETS,
  );
  readonly business = new BusinessMetrics();
  /** Pruning's counters (issue 25, engine/ops/retention). */
  readonly retention = new RetentionMetrics();

  /** Counted by the replayer (replayer.ts) when a replay finishes; starts at 0 so `increase()` sees the first one. */
  readonly replaysFailed = new Counter(
    'switchboard_replays_failed_total',
    'Replays that finished with deliveries they could not replay (refused by the current transforms or channels).',
    [],
  );

  constructor() {
    this.replaysFailed.inc([], 0);
  }

  /** Counts one message through intake; `type` must come from typeLabel, `code` is an error catalog code. */
  intake(channel: string, type: string, outcome: IntakeOutcome, code?: string): void {
    this.received.inc([channel, type]);
    if (outcome === 'accepted') this.accepted.inc([channel, type]);
    else if (outcome !== 'duplicate') this.rejected.inc([channel, type, code ?? 'UNKNOWN']);
  }

  write(out: PrometheusText): void {
    for (const family of [this.received, this.accepted, this.rejected, this.ackLatency, this.attempts, this.endToEnd]) family.write(out);
    for (const family of [this.queueWait, this.storeCalls, this.replaysFailed]) family.write(out);
    this.business.write(out);
    this.retention.write(out);
  }
}

const CODE = /^[A-Za-z0-9_*-]{1,20}$/;

/**
 * A message type label: `TYPE^TRIGGER` when the channel accepts that type (its accept list bounds
 * the set) and both parts look like HL7 codes, else `other` (a sender cannot mint label values).
 */
export function typeLabel(accepted: boolean, messageType: string | undefined, trigger: string | undefined): string {
  if (!accepted || !messageType || !trigger || !CODE.test(messageType) || !CODE.test(trigger)) return 'other';
  return `${messageType}^${trigger}`;
}

/** A canonical code used as a label (charge transaction type, currency): kept when it looks like a code, else `other`. */
export const codeLabel = (v: unknown): string => (typeof v === 'string' && CODE.test(v) ? v : 'other');

/** Business figures from the canonical events delivered to each destination. */
export class BusinessMetrics {
  readonly charges = new Counter(
    'switchboard_charges_posted_total',
    'Charge lines delivered, by channel, destination and transaction type (HL7 table 0017).',
    ['channel', 'destination', 'transaction_type'],
  );
  readonly chargeAmount = new Counter(
    'switchboard_charges_amount_total',
    'Sum of the absolute extended amounts of the charge lines delivered, by channel, destination, transaction type ' +
      '(credits apart) and currency.',
    ['channel', 'destination', 'transaction_type', 'currency'],
  );
  readonly supplyLines = new Counter(
    'switchboard_supply_lines_posted_total',
    'Supply consumption lines delivered, by channel and destination.',
    ['channel', 'destination'],
  );
  readonly workforce = new Counter(
    'switchboard_workforce_events_posted_total',
    'Workforce events delivered, by channel, destination and event type (onboard, change, offboard).',
    ['channel', 'destination', 'event_type'],
  );

  /** Counts the canonical events of one delivered message (`model` and the event as routed). */
  delivered(channel: string, destination: string, events: readonly { model: string; event: Record<string, unknown> }[]): void {
    for (const { model, event } of events) {
      if (model === 'ChargeEvent') {
        const kind = codeLabel(event['transactionType']);
        this.charges.inc([channel, destination, kind]);
        const amount = event['amount'] as { value?: unknown; currency?: unknown } | undefined;
        if (typeof amount?.value === 'number')
          this.chargeAmount.inc([channel, destination, kind, codeLabel(amount.currency)], Math.abs(amount.value));
      } else if (model === 'SupplyConsumptionEvent') this.supplyLines.inc([channel, destination]);
      else if (model === 'WorkforceEvent') this.workforce.inc([channel, destination, codeLabel(event['eventType'])]);
    }
  }

  write(out: PrometheusText): void {
    for (const family of [this.charges, this.chargeAmount, this.supplyLines, this.workforce]) family.write(out);
  }
}

/** This process's counters and histograms. */
export const engineMetrics = new EngineMetrics();
