import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';

/** Debian's psql of the newest installed PostgreSQL, if any. */
export async function localPsql(): Promise<string | undefined> {
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  return versions.sort().map((v) => `/usr/lib/postgresql/${v}/bin/psql`).at(-1);
}

/**
 * For the bound check of the end-to-end benchmark only (never the engine, never a shipped setup):
 * FerretDB 1.24.2 on PostgreSQL turns a filter on `_id` into `_jsonb->'_id' @> '"…"'`, which its
 * btree index on `_id` cannot serve, so every findOne / findOneAndUpdate / updateOne by id is a
 * sequential scan of the whole collection. A GIN index on `(_jsonb->'_id')` serves `@>`; this adds
 * one to the `messages` table of one benchmark database, straight in PostgreSQL (FerretDB does not
 * know of it and needs not). Needs the PostgreSQL that scripts/services.sh runs (psql, trust auth).
 * Returns false when there is no such PostgreSQL.
 */
export async function addIdGinIndex(db: string): Promise<boolean> {
  const psql = await localPsql();
  if (!psql) return false;
  const run = (sql: string) =>
    promisify(execFile)(psql, ['-h', '127.0.0.1', '-p', process.env.SWITCHBOARD_PG_PORT ?? '6432', '-U', 'postgres', '-d', 'ferretdb', '-Atc', sql]).then((r) => r.stdout.trim());
  try {
    const table = await run(`select tablename from pg_tables where schemaname = '${db.replace(/'/g, "''")}' and tablename like 'messages\\_%'`);
    if (!table) return false;
    await run(`create index if not exists bench_id_gin on "${db}"."${table}" using gin ((_jsonb->'_id'))`);
    return true;
  } catch {
    return false;
  }
}
