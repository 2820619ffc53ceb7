import { ErrorCatalog } from '../errors.ts';
import type { Principal } from '../security/roles.ts';
import { ReplayableStatus } from '../store/states.ts';
import type { DryRunResult } from '../replay/replay-types.ts';
import { requestReplay, type ReplayFilter } from '../replay/replay-requests.ts';
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
import { followReplay } from './replay-progress.ts';
import { openCliReplayer } from './replay-runtime.ts';
import type { ConnectorRegistry } from '../connector.ts';

const USAGE = `usage:
  switchboard replay [--message ID]... [--channel ID] [--destination ID] [--error CODE] [--status dead|delivered]
                     [--from ISO-TIME] [--to ISO-TIME] (--dry-run | --reason "why") [--json] [--actor NAME]
      replays dead deliveries (--status delivered: sends delivered ones again under a new key), as POST /api/replays.
      --dry-run shows what the current transforms would send differently and changes nothing;
      --reason (3 to 1,000 characters, required for a real replay) queues them and shows the progress until done.
      Uses MONGODB_URL, MONGODB_DB, REDIS_URL and QUEUE_PREFIX (and ENCRYPTION_KEYS when set).
      Exit 0 done, 1 interrupted, refused deliveries or a failure, 2 usage.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  message: { type: 'string', multiple: true },
  channel: { type: 'string' },
  destination: { type: 'string' },
  error: { type: 'string' },
  status: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  reason: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseCommandLine<typeof OPTIONS>>['values'];

/** The selection and reason of the command line, checked as the API's body schema checks them; UsageError names what is wrong. */
/** Whether a --status value names what a replay sends again. */
const isReplayable = (s: string): s is ReplayableStatus => Object.values<string>(ReplayableStatus).includes(s);

function askOf(v: Values): { messageIds?: string[]; filter?: ReplayFilter; reason: string; dryRun: boolean } {
  const dryRun = v['dry-run'];
  if (!dryRun && v.reason === undefined) throw new UsageError('a replay needs --reason "why" (or --dry-run)');
  const reason = v.reason ?? 'dry run from the command line';
  if (reason.trim().length < 3 || reason.length > 1000) throw new UsageError('--reason takes 3 to 1,000 characters');
  if (v.error !== undefined && !(v.error in ErrorCatalog))
    throw new UsageError(`--error takes an error code (${Object.keys(ErrorCatalog).join(', ')})`);
  if (v.status !== undefined && !isReplayable(v.status)) throw new UsageError('--status takes dead or delivered');
  for (const t of [v.from, v.to]) if (t !== undefined && Number.isNaN(Date.parse(t))) throw new UsageError(`not a date and time: ${t}`);
  const filter: ReplayFilter = {
    ...(v.channel ? { channel: v.channel } : {}),
    ...(v.destination ? { destination: v.destination } : {}),
    ...(v.error ? { errorCode: v.error as ReplayFilter['errorCode'] } : {}),
    ...(v.status && isReplayable(v.status) ? { status: v.status } : {}),
    ...(v.from ? { from: new Date(v.from).toISOString() } : {}),
    ...(v.to ? { to: new Date(v.to).toISOString() } : {}),
  };
  const messageIds = v.message ?? [];
  if (messageIds.length === 0 && Object.keys(filter).length === 0) throw new UsageError('name --message ids and/or a filter');
  return { ...(messageIds.length ? { messageIds } : {}), ...(Object.keys(filter).length ? { filter } : {}), reason, dryRun };
}

/** A dry run as a table: per (message, destination) the transform versions and the paths that would change. */
function printDryRun(r: DryRunResult, io: Io): void {
  io.out(`dry run ${r.replayId}: ${r.deliveries} deliveries selected, ${r.refused.length} refused; nothing was changed`);
  const rows = r.changes.map((c) => {
    const [before, after] = [c.transformVersions.before.join(','), c.transformVersions.after.join(',')];
    return [
      c.messageId,
      c.destinationId,
      before === after ? before : `${before} -> ${after}`,
      c.diff.length ? `${c.diff.length}: ${c.diff.map((d) => d.path).join(', ')}` : 'none',
    ];
  });
  for (const line of table(['MESSAGE', 'DESTINATION', 'TRANSFORMS', 'CHANGED FIELDS'], rows)) io.out(line);
  for (const x of r.refused) io.out(`refused ${x.messageId}: ${x.reason}`);
  io.out(`${r.changes.filter((c) => c.diff.length > 0).length} of ${r.changes.length} listed would be sent differently`);
}

/** Requests the replay (audited), and for a real one follows it until done; the exit code. */
type ReplayAsk = { ask: ReturnType<typeof askOf>; principal: Principal; json: boolean; connectors: ConnectorRegistry };
async function replay(ctx: CliContext, env: NodeJS.ProcessEnv, o: ReplayAsk, io: Io): Promise<number> {
  const { ask, principal } = o;
  const runtime = await openCliReplayer(ctx, env, { queues: !ask.dryRun, connectors: o.connectors });
  try {
    const result = await requestReplay({ store: ctx.store, replayer: runtime.replayer, audit: ctx.audit }, { principal, ...ask });
    if (result.dryRun) {
      if (o.json) io.out(JSON.stringify(result));
      else printDryRun(result, io);
      return 0;
    }
    io.err(`replay ${result.replayId} started: ${result.deliveries} deliveries selected`);
    const { outcome, replay } = await followReplay({ store: ctx.store, replayId: result.replayId, staleMs: runtime.staleMs, io });
    if (o.json) io.out(JSON.stringify(replay));
    else
      io.out(
        `replay ${replay._id} ${outcome}: ${replay.progress.replayed} replayed, ${replay.progress.refused} refused, ` +
          `${replay.progress.skipped} skipped of ${replay.progress.selected}`,
      );
    for (const x of replay.refused) io.err(`refused ${x.messageId}: ${x.reason}`);
    if (outcome === 'interrupted') io.err('the replay stopped before it was done; a running engine resumes it');
    return outcome === 'done' && replay.progress.refused === 0 ? 0 : 1;
  } finally {
    await runtime.close();
  }
}

/**
 * `switchboard replay`: the replay of `POST /api/replays` (requestReplay: the same checks, record
 * and audit entry, with the actor `cli:<name>`), run by a Replayer in this process. A dry run
 * prints what would change (paths only: the command line has no PHI permission); a real replay
 * queues the deliveries for the engines' workers and shows its progress until the replay is done.
 */
export function runReplayCommand(
  args: readonly string[],
  io: Io,
  connectors: ConnectorRegistry,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return runCommand('replay', USAGE, io, async () => {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (positionals.length > 0) throw new UsageError(`unexpected: ${positionals.join(' ')}`);
    const o = { ask: askOf(values), principal: cliPrincipal(values.actor), json: values.json, connectors };
    return withContext(env, (ctx) => replay(ctx, env, o, io));
  });
}
