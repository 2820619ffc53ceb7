import path from 'node:path';
import { AuditAction } from '../audit/audit-log.ts';
import { restoreArchive, type RestoreReport } from '../ops/retention/archive-restore.ts';
import { cliPrincipal, COMMON_OPTIONS, parseCommandLine, runCommand, UsageError, withContext, type Io } from './cli-context.ts';

const USAGE = `usage:
  switchboard archive restore FILE [--message ID]... [--keep-days N] [--json] [--actor NAME]
      puts the messages of an archive file back in the store, as they were stored, so that search finds them and
      a replay or re-route sends them again. FILE is a data file (<ARCHIVE_DIR>/<day>/<channel>.<run>.ndjson.gz),
      checked against its run's manifest (sha256) when there is one, or a manifest (<ARCHIVE_DIR>/manifests/<run>.json)
      for every file of the run. --message: only these ids. Restoring twice changes nothing. Restored messages are
      held from pruning for --keep-days (default 7). Audited. Uses MONGODB_URL, MONGODB_DB (and ENCRYPTION_KEYS and
      SEARCH_HASH_KEY as the engine has them: sealed messages need their key).
      Exit 0 done, 1 a failure (an altered file, a key missing) or messages refused, 2 usage.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  message: { type: 'string', multiple: true },
  'keep-days': { type: 'string', default: '7' },
} as const;

function print(r: RestoreReport, file: string, io: Io): void {
  const checked = r.checkedAgainst.length
    ? `checked against ${r.checkedAgainst.map((m) => path.basename(m)).join(', ')}`
    : 'no manifest found';
  io.out(`restored ${r.restored.length} of ${r.messages} messages from ${path.basename(file)} (${r.files.length} file(s), ${checked})`);
  if (r.present) io.out(`${r.present} already stored, left as they are`);
  for (const id of r.conflicts) io.err(`refused ${id}: another stored message holds its de-duplication key`);
}

/**
 * `switchboard archive restore`: restoreArchive (ops/retention/archive-restore.ts) in this
 * process, audited as `archive.restore` by `cli:<actor>` (file, counts, the ids restored).
 */
export function runArchiveCommand(args: readonly string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runCommand('archive restore', USAGE, io, async () => {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    const [sub, file, ...more] = positionals;
    if (sub !== 'restore' || !file || more.length > 0) throw new UsageError(sub === 'restore' ? 'name one FILE' : 'name a subcommand');
    if (!/^[0-9]{1,4}$/.test(values['keep-days'])) throw new UsageError('--keep-days takes a whole number of days');
    const principal = cliPrincipal(values.actor);
    const only = values.message?.length ? new Set(values.message) : undefined;
    const report = await withContext(env, async (ctx) => {
      const r = await restoreArchive({ store: ctx.store, file, keepDays: Number(values['keep-days']), ...(only ? { only } : {}) });
      await ctx.audit.append({
        actor: principal.username,
        action: AuditAction.archiveRestore,
        outcome: r.conflicts.length ? 'failure' : 'success',
        target: `archive:${path.basename(file)}`,
        details: {
          files: r.files.length,
          messages: r.messages,
          restored: r.restored.slice(0, 100),
          present: r.present,
          conflicts: r.conflicts.length,
        },
      });
      return r;
    });
    if (values.json) io.out(JSON.stringify(report));
    else print(report, file, io);
    return report.conflicts.length ? 1 : 0;
  });
}
