import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { localPsql } from './pg-activity.ts';

/** The local PostgreSQL of scripts/services.sh, as SWITCHBOARD_PG_URL (of `services.sh env`) names it. */
export interface PgServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** SWITCHBOARD_PG_URL read; throws when it is not set (scripts/bench.sh sets it). */
export function localPg(): PgServer {
  const url = process.env.SWITCHBOARD_PG_URL;
  if (!url) throw new Error('set SWITCHBOARD_PG_URL (bash scripts/services.sh env prints it)');
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username) || 'postgres',
    password: decodeURIComponent(u.password),
  };
}

/**
 * Runs `statements` in database `db` through Debian's psql, each on its own (autocommit, so that
 * CREATE DATABASE and DROP DATABASE may be among them), stopping at the first error, which it throws.
 * Returns what they printed, unaligned and without headers (`-At`). The password goes in PGPASSWORD,
 * never on the command line.
 */
export async function runPsql(pg: PgServer, db: string, statements: readonly string[]): Promise<string> {
  const psql = await localPsql();
  if (!psql) throw new Error('no psql under /usr/lib/postgresql (Debian postgresql-client)');
  const args = ['-w', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-d', db];
  const { stdout } = await promisify(execFile)(psql, [...args, ...statements.flatMap((s) => ['-c', s])], {
    env: { ...process.env, PGPASSWORD: pg.password, PGPASSFILE: '/dev/null' },
  });
  return stdout;
}
