import { ChannelStore } from '../channels/channel-store.ts';
import { loadConfig } from '../config/config.ts';
import { retryUntil } from '../engine-start.ts';
import { SwitchboardError } from '../errors.ts';
import type { ConnectorRegistry } from '../connector.ts';
import { silentLogger } from '../log.ts';
import { createPruner } from '../ops/retention/open-retention.ts';
import { producerConnection } from '../queue/queues.ts';
import type { RetentionRun } from '../store/retention-records.ts';
import {
  cliPrincipal,
  COMMON_OPTIONS,
  parseCommandLine,
  runCommand,
  UsageError,
  withContext,
  type CliContext,
  type Io,
} from './cli-context.ts';
import { table } from './cli-output.ts';
import { countOf } from '../ops/retention/run-report.ts';

const USAGE = `usage:
  switchboard retention run [--json] [--actor NAME]
      runs pruning now in this process, as the engine's pruner does (the same rules, archive, audit cut, record and audit
      entry), and prints what it removed. Waits for no running engine: it takes the pruner's lease (CONFLICT when an
      engine is pruning). Uses the engine's settings (MONGODB_URL, MONGODB_DB, REDIS_URL, QUEUE_PREFIX, RETENTION_*,
      ARCHIVE_DIR, AUDIT_*, PRUNE_*).
  switchboard retention runs [--limit N] [--json]
      the last pruning runs, newest first (as GET /api/retention/runs).
  Exit 0 done, 1 a failure (a run that failed), 2 usage.`;

const OPTIONS = { ...COMMON_OPTIONS, limit: { type: 'string', default: '20' } } as const;

function printRuns(runs: readonly RetentionRun[], io: Io): void {
  const rows = runs.map((r) => [
    r._id,
    r.state,
    r.trigger,
    r.startedAt?.toISOString() ?? '-',
    r.durationMs === undefined ? '-' : `${(r.durationMs / 1000).toFixed(1)} s`,
    String(countOf(r.removed)),
    String(r.archive?.files.length ?? 0),
    String(r.audit?.removed ?? 0),
  ]);
  for (const line of table(['RUN', 'STATE', 'TRIGGER', 'STARTED', 'TOOK', 'REMOVED', 'FILES', 'AUDIT CUT'], rows)) io.out(line);
}

function printRun(r: RetentionRun, io: Io): void {
  printRuns([r], io);
  for (const [channel, byStatus] of Object.entries(r.removed))
    io.out(
      `  ${channel}: ${Object.entries(byStatus)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ')}`,
    );
  io.out(`  kept: ${r.kept.unsettled} in flight, ${r.kept.restored} restored and held`);
  if (r.flows) io.out(`  flow instances removed: ${r.flows.removed}`);
  if (r.history)
    io.out(
      `  history removed: ${Object.entries(r.history.removed)
        .map(([kind, n]) => `${n} ${kind}`)
        .join(', ')}`,
    );
  if (r.archive?.manifest) io.out(`  archive manifest: ${r.archive.manifest}`);
  if (r.error) io.err(`  failed: ${r.error}`);
}

async function runNow(ctx: CliContext, env: NodeJS.ProcessEnv, connectors: ConnectorRegistry, by: string): Promise<RetentionRun> {
  const config = loadConfig(env);
  const redis = producerConnection(config.REDIS_URL);
  try {
    const unreachable = () =>
      new SwitchboardError('QUEUE_UNAVAILABLE', 'cannot reach Redis at REDIS_URL (the pruner takes its lease there)');
    await retryUntil(config.STARTUP_TIMEOUT_MS, () => redis.ping(), unreachable);
    const channels = new ChannelStore(ctx.store, connectors);
    const pruner = createPruner({ config, store: ctx.store, audit: ctx.audit, redis, log: silentLogger(), channels });
    return await pruner.runNow('cli', by);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** `switchboard retention run|runs`: the pruner of engine/ops/retention, in this process, and its records. */
export function runRetentionCommand(
  args: readonly string[],
  io: Io,
  connectors: ConnectorRegistry,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return runCommand('retention', USAGE, io, async () => {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    const [sub, ...more] = positionals;
    if ((sub !== 'run' && sub !== 'runs') || more.length > 0)
      throw new UsageError(sub ? `unknown: ${positionals.join(' ')}` : 'name a subcommand');
    if (!/^[1-9][0-9]{0,2}$/.test(values.limit)) throw new UsageError('--limit takes a whole number from 1 to 999');
    if (sub === 'runs') {
      const runs = await withContext(env, (ctx) => ctx.store.retention.listRuns(Number(values.limit)));
      if (values.json) io.out(JSON.stringify({ items: runs }));
      else printRuns(runs, io);
      return 0;
    }
    const by = cliPrincipal(values.actor).username;
    const run = await withContext(env, (ctx) => runNow(ctx, env, connectors, by));
    if (values.json) io.out(JSON.stringify(run));
    else printRun(run, io);
    return run.state === 'done' ? 0 : 1;
  });
}
