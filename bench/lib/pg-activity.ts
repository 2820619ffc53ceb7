import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import readline from 'node:readline';

/** Debian's psql of the newest installed PostgreSQL, if any. */
export async function localPsql(): Promise<string | undefined> {
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  return versions
    .sort()
    .map((v) => `/usr/lib/postgresql/${v}/bin/psql`)
    .at(-1);
}

/** What PostgreSQL was busy with: statement shapes (numbers blanked) and how often each was seen active. */
export type PgActivity = { statement: string; samples: number }[];

/**
 * Samples `pg_stat_activity` of the local PostgreSQL (FerretDB's backend, as scripts/services.sh runs
 * it) every `intervalMs` through one psql session, keeping the active statements that name `schema`
 * (one benchmark database). A sampling profile of the store: which statements hold PostgreSQL.
 * `stop()` returns the shapes seen, most frequent first; undefined when there is no local psql or no SWITCHBOARD_PG_URL.
 */
export async function samplePgActivity(o: { schema: string; intervalMs?: number }): Promise<{ stop(): Promise<PgActivity> } | undefined> {
  const psql = await localPsql();
  if (!psql) return undefined;
  // SWITCHBOARD_PG_URL of scripts/services.sh env: user and password (in PGPASSWORD, never on the command line).
  if (!process.env.SWITCHBOARD_PG_URL) return undefined;
  const pg = new URL(process.env.SWITCHBOARD_PG_URL);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(pg.password), PGPASSFILE: '/dev/null' };
  const args = [
    '-w',
    '-h',
    pg.hostname,
    '-p',
    pg.port || '5432',
    '-U',
    decodeURIComponent(pg.username) || 'postgres',
    '-d',
    'ferretdb',
    '-At',
    '-q',
  ];
  const child = spawn(psql, args, { stdio: ['pipe', 'pipe', 'ignore'], env });
  const counts = new Map<string, number>();
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    const shape = line.replace(/\d+/g, 'N').slice(0, 160);
    if (shape) counts.set(shape, (counts.get(shape) ?? 0) + 1);
  });
  const like = o.schema.replace(/'/g, "''").replace(/[_%]/g, '\\$&');
  const timer = setInterval(() => {
    child.stdin!.write(
      `select regexp_replace(query, '\\s+', ' ', 'g') from pg_stat_activity ` +
        `where state = 'active' and pid <> pg_backend_pid() and query like '%${like}%';\n`,
    );
  }, o.intervalMs ?? 100);
  return {
    stop: async () => {
      clearInterval(timer);
      child.stdin!.end();
      await new Promise((r) => child.once('exit', r));
      return [...counts.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([statement, samples]) => ({ statement, samples }));
    },
  };
}
