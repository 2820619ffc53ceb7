import { listDeadDeliveries } from '../replay/dead-letters.ts';
import { cliPrincipal, COMMON_OPTIONS, parseCommandLine, runCommand, UsageError, withContext, type Io } from './cli-context.ts';
import { table } from './cli-output.ts';

const USAGE = `usage:
  switchboard deliveries dead [--channel ID] [--destination ID] [--error CODE] [--limit N] [--json] [--actor NAME]
      dead deliveries, newest message first, with attempts and the last error (as GET /api/deliveries/dead;
      MRNs masked); --limit: rows shown, default 50. Uses MONGODB_URL, MONGODB_DB (and ENCRYPTION_KEYS when set)`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  channel: { type: 'string' },
  destination: { type: 'string' },
  error: { type: 'string' },
  limit: { type: 'string', default: '50' },
} as const;

/**
 * `switchboard deliveries dead`: the dead-letter list of `GET /api/deliveries/dead`, through the
 * same service (listDeadDeliveries), as a table or, with `--json`, as the API's `{ items, total }`.
 * Exit codes: 0 listed (also when none), 1 the store failed, 2 usage.
 */
export function runDeliveriesCommand(args: readonly string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runCommand('deliveries dead', USAGE, io, async () => {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    if (positionals.join(' ') !== 'dead')
      throw new UsageError(positionals.length ? `unknown: ${positionals.join(' ')}` : 'name a subcommand');
    if (!/^[1-9][0-9]{0,5}$/.test(values.limit)) throw new UsageError('--limit takes a positive whole number');
    const principal = cliPrincipal(values.actor);
    const filter = {
      ...(values.channel ? { channel: values.channel } : {}),
      ...(values.destination ? { destination: values.destination } : {}),
      ...(values.error ? { errorCode: values.error } : {}),
    };
    const all = await withContext(env, (ctx) => listDeadDeliveries(ctx.store, filter, principal));
    const items = all.slice(0, Number(values.limit));
    if (values.json) {
      io.out(JSON.stringify({ items, total: all.length }));
      return 0;
    }
    const rows = items.map((d) => [
      d.messageId,
      d.receivedAt.toISOString(),
      d.channelId,
      d.destinationId,
      String(d.attempts),
      d.lastError?.code ?? '-',
      d.lastError?.detail ?? '',
    ]);
    for (const line of table(['MESSAGE', 'RECEIVED', 'CHANNEL', 'DESTINATION', 'ATTEMPTS', 'ERROR', 'DETAIL'], rows)) io.out(line);
    io.out(`${items.length} of ${all.length} dead deliveries`);
    return 0;
  });
}
