import { readFile, writeFile } from 'node:fs/promises';
import { SwitchboardError } from '../errors.ts';
import { tableCsv } from '../tables/table-csv.ts';
import { TABLE_NAME_PATTERN } from '../tables/table-schema.ts';
import { TableService } from '../tables/table-service.ts';
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

const USAGE = `usage:
  switchboard tables list                          each table: latest version, columns, rows, when and by whom
  switchboard tables import NAME FILE.csv [--comment TEXT]   the file (header row first) as the table's next version
  switchboard tables export NAME [--version N] [--out FILE]  the table as CSV (latest version), to FILE or standard output
      (each also takes --json and --actor NAME). Uses MONGODB_URL and MONGODB_DB; imports are audited as cli:<actor>
      (default: the operating-system user), and keep the latest version's description and onMissing.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  comment: { type: 'string' },
  version: { type: 'string' },
  out: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseCommandLine<typeof OPTIONS>>['values'];

const NAME = new RegExp(TABLE_NAME_PATTERN);

/** The table service on the command line's store (no channel uses are asked for here). */
async function tables(ctx: CliContext): Promise<TableService> {
  const service = new TableService({ store: ctx.store, audit: ctx.audit, usedBy: async () => [] });
  await service.start();
  return service;
}

/** `tables list`: one line per table (or, with --json, one JSON document). Returns 0. */
async function list(ctx: CliContext, v: Values, io: Io): Promise<number> {
  const items = await (await tables(ctx)).list();
  if (v.json) io.out(JSON.stringify({ items }));
  else
    for (const line of table(
      ['TABLE', 'VERSION', 'COLUMNS', 'ROWS', 'UPDATED', 'BY'],
      items.map((t) => [t.name, String(t.version), t.columns.join(','), String(t.rows), t.updatedAt.toISOString(), t.updatedBy]),
    ))
      io.out(line);
  return 0;
}

/** `tables import NAME FILE`: 0 saved (or unchanged), 1 refused, each problem on standard error naming its line. */
async function importFile(ctx: CliContext, o: { name: string; file: string }, v: Values, io: Io): Promise<number> {
  const csv = await readFile(o.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new SwitchboardError('BAD_REQUEST', `cannot read ${o.file}: ${err.code ?? 'unreadable'}`);
  });
  const actor = { username: cliPrincipal(v.actor).username };
  const saved = await (await tables(ctx)).importCsv({ name: o.name, csv, actor, comment: v.comment ?? o.file });
  if (!saved.ok) {
    for (const p of saved.problems) io.err(`${o.file}: ${p.line === undefined ? `${p.path}: ` : ''}${p.message}`);
    return 1;
  }
  const { version, created } = saved;
  if (v.json) io.out(JSON.stringify({ name: o.name, version: version.version, created, rows: version.definition.rows.length }));
  else io.out(`${o.file}: table ${o.name} version ${version.version}${created ? '' : ' (unchanged)'}`);
  return 0;
}

/** `tables export NAME`: the CSV to --out, else standard output; 1 when there is no such table or version. */
async function exportTable(ctx: CliContext, name: string, v: Values, io: Io): Promise<number> {
  const number = v.version === undefined ? undefined : Number(v.version);
  if (number !== undefined && !(Number.isInteger(number) && number > 0)) throw new UsageError('--version takes a positive integer');
  const service = await tables(ctx);
  const found = number ? await service.version(name, number) : await service.latest(name);
  if (!found) throw new SwitchboardError('NOT_FOUND', number ? `no version ${number} of table ${name}` : `no table ${name}`);
  const csv = tableCsv(found.definition);
  if (v.out) {
    await writeFile(v.out, csv);
    io.err(`${v.out}: table ${name} version ${found.version}`);
  } else io.out(csv.replace(/\r\n$/, ''));
  return 0;
}

/**
 * `switchboard tables list|import|export`: lookup tables from the command line through the API's
 * TableService (the same validation, versions and audit entries, as `cli:<actor>`). CSV exactly
 * as the API takes and gives it. Exit codes: 0 done, 1 refused (a problem in the file, no such
 * table) or the store failed, 2 usage.
 */
export function runTablesCommand(args: readonly string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runCommand('tables', USAGE, io, async () => {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    const [sub, name, file, ...extra] = positionals;
    const wanted = { list: 0, import: 2, export: 1 }[sub ?? ''];
    if (wanted === undefined) throw new UsageError(sub ? `unknown: tables ${sub}` : 'name a subcommand');
    if ([name, file].filter(Boolean).length !== wanted || extra.length > 0) throw new UsageError(`tables ${sub}: wrong arguments`);
    if (name !== undefined && !NAME.test(name)) throw new UsageError('a table name is lower-case letters, digits and dashes');
    return withContext(env, (ctx) =>
      sub === 'list'
        ? list(ctx, values, io)
        : sub === 'import'
          ? importFile(ctx, { name: name!, file: file! }, values, io)
          : exportTable(ctx, name!, values, io),
    );
  });
}
