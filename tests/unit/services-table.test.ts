import test from 'ava';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { readServicesTable } from '../../scripts/lib/services-table.ts';

const root = path.resolve(import.meta.dirname, '../..');
const keys = ['REDIS_PORT', 'MONGO_PORT', 'PG_PORT', 'REDIS_SERVER', 'FERRETDB_VERSION', 'FERRETDB_BIN', 'TEST_SERVICES_DIR'];

test('scripts/services.env reads the same in bash (scripts/services.sh sources it) and in TypeScript (readServicesTable)', async (t) => {
  const script = `source scripts/services.env; printf '%s\\n' ${keys.map((k) => `"$${k}"`).join(' ')}`;
  const { stdout } = await promisify(execFile)('bash', ['-euc', script], { cwd: root, env: { PATH: process.env.PATH } });
  const table = readServicesTable();
  const fromTs = [
    table.redisPort,
    table.mongoPort,
    table.pgPort,
    table.redisServer,
    table.ferretdbVersion,
    path.relative(root, table.ferretdbBin),
    path.relative(root, table.testServicesDir),
  ].map(String);
  t.deepEqual(stdout.trimEnd().split('\n'), fromTs);
});
