import { Type } from '@sinclair/typebox';

const Days = (description: string) => Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500, description }));

/**
 * The engine settings of retention, archive and pruning (issue 25), spread into EngineConfigSchema
 * (config/config.ts), so that they are read, defaulted and checked with every other setting.
 *
 * "Off" is the default: with neither RETENTION_DELIVERED_DAYS nor RETENTION_FAILED_DAYS set (and no
 * channel declaring a `retention` block) nothing is ever pruned. Deleting patient records cannot be
 * undone and how long a hospital must keep them is a legal decision of its own (state medical-record
 * laws, HIPAA's six years for the documentation of safeguards), so an upgrade must never start
 * deleting by itself: the operator chooses the figures. The audit log likewise is kept whole until
 * AUDIT_RETENTION_DAYS is set, flow instances until RETENTION_FLOW_DAYS is, and the engine's own history until
 * RETENTION_HISTORY_DAYS is.
 */
export const RetentionConfigProperties = {
  RETENTION_DELIVERED_DAYS: Days(
    'Days a settled message that needed no more work (delivered, filtered) is kept after it was received; unset: kept forever. ' +
      "A channel's `retention` block overrides it.",
  ),
  RETENTION_FAILED_DAYS: Days(
    'Days a failed message (errored, dead, partially delivered, rejected) is kept at least: the default and the floor of every ' +
      "channel's figure (a channel may keep them longer, never shorter); unset: kept forever unless a channel says otherwise. " +
      'A message still in flight (received, routed) is never pruned, whatever its age.',
  ),
  RETENTION_FLOW_DAYS: Days(
    'Days a settled flow instance (completed or aborted), with the requests and answers of its steps, is kept after its last ' +
      'change; unset: kept forever. Running, stalled and aborting instances are never pruned. Set it no longer than the ' +
      'message figures, so that no content outlives its message.',
  ),
  RETENTION_HISTORY_DAYS: Days(
    "Days the engine's records of its own history are kept after they ended: resolved alerts with their notifications, silences " +
      'past their end, finished replays, finished pruning runs (dated by when they were asked for); unset: kept forever. Open ' +
      "alerts, running replays and runs are never pruned. A replay-failed rule's window longer than this is cut short. Silences, " +
      "replays and runs are also in the audit log (AUDIT_RETENTION_DAYS); alerts' state changes are not.",
  ),
  PRUNE_INTERVAL_MS: Type.Integer({
    default: 3_600_000,
    minimum: 1000,
    description: 'How often the pruner runs (worker processes; one at a time per deployment, under a lease in Redis).',
  }),
  PRUNE_BATCH: Type.Integer({
    default: 100,
    minimum: 1,
    maximum: 5000,
    description: 'Messages archived and deleted per batch; the pruner rests after each (see PRUNE_PAUSE_MS).',
  }),
  PRUNE_PAUSE_MS: Type.Integer({
    default: 200,
    minimum: 0,
    description: 'Least rest of the pruner after each slice of work (a batch, or 100 ms of reading).',
  }),
  PRUNE_REST_FACTOR: Type.Number({
    default: 4,
    minimum: 0,
    maximum: 100,
    description:
      'The pruner also rests this many times as long as each slice took: it works at most 1/(1 + factor) of the time (4: a fifth), ' +
      'so that intake keeps the store and the CPU (docs/performance.md, retention).',
  }),
  PRUNE_COMPACT: Type.Boolean({
    default: true,
    description:
      'After a run that removed messages, reclaim their space: the `compact` command on the collections (MongoDB; on FerretDB 1.24 a ' +
      'plain VACUUM ANALYZE of their PostgreSQL tables, which does not lock out intake).',
  }),
  ARCHIVE_DIR: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Where pruned messages are archived before they are deleted: gzip NDJSON files per received day and channel, as stored ' +
        '(sealed when encryption is on), with a manifest per run; unset: pruned messages are not archived.',
    }),
  ),
  AUDIT_RETENTION_DAYS: Days(
    'Days audit entries are kept; older ones are cut under a signed checkpoint (needs AUDIT_SIGNING_KEY); unset: the log is kept whole.',
  ),
  AUDIT_SIGNING_KEY: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9+/]{43}=$',
      description:
        'Base64 Ed25519 private key (its 32-byte seed; `switchboard audit keygen` makes one; a secret) signing the checkpoint stored ' +
        'where the audit log is cut.',
    }),
  ),
  AUDIT_VERIFY_KEY: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9+/]{43}=$',
      description:
        'Base64 Ed25519 public key (32 bytes) that checks the checkpoints (`switchboard audit verify`, GET /api/audit/verify) where ' +
        'AUDIT_SIGNING_KEY is not given: an auditor can verify without being able to sign. Not a secret.',
    }),
  ),
};
