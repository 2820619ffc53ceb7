/**
 * scripts/services.env, the one table of the services' ports and programs that scripts/services.sh
 * sources, read for TypeScript: tests/support/services.ts takes the FerretDB binary, the redis-server
 * program and the private instances' directory from it, bench/run.ts the MongoDB-wire port and the
 * FerretDB version. The values are the table's defaults: the SWITCHBOARD_* overrides of
 * scripts/services.sh are its callers' to apply.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FILE = path.join(ROOT, 'scripts/services.env');

/** The rows of scripts/services.env; paths made absolute (the file has them relative to the repository root). */
export interface ServicesTable {
  redisPort: number;
  mongoPort: number;
  pgPort: number;
  /** The redis-server program (on PATH). */
  redisServer: string;
  /** As the FerretDB module names it: `v1.24.2`. */
  ferretdbVersion: string;
  ferretdbBin: string;
  /** Where tests' private instances keep their data, one directory each. */
  testServicesDir: string;
}

/**
 * KEY=VALUE lines as bash `source` reads them when they hold no quotes, spaces or expansions; blank lines
 * and `#` comments skipped. Throws on any other line, so that the two readers cannot disagree.
 */
export function parseEnvLines(text: string, file = 'the table'): Map<string, string> {
  const values = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const m = /^([A-Z_][A-Z0-9_]*)=([A-Za-z0-9._/:+-]*)$/.exec(line);
    if (!m) throw new Error(`${file}, line ${i + 1}: not a KEY=VALUE line without quotes, spaces or expansions: ${line}`);
    values.set(m[1]!, m[2]!);
  }
  return values;
}

/** Reads scripts/services.env; throws when a row is missing or a port is not one. */
export function readServicesTable(): ServicesTable {
  const values = parseEnvLines(readFileSync(FILE, 'utf8'), FILE);
  const get = (key: string): string => {
    const value = values.get(key);
    if (!value) throw new Error(`${FILE} has no ${key}`);
    return value;
  };
  const port = (key: string): number => {
    const n = Number(get(key));
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${FILE}: ${key} is not a port: ${get(key)}`);
    return n;
  };
  return {
    redisPort: port('REDIS_PORT'),
    mongoPort: port('MONGO_PORT'),
    pgPort: port('PG_PORT'),
    redisServer: get('REDIS_SERVER'),
    ferretdbVersion: get('FERRETDB_VERSION'),
    ferretdbBin: path.join(ROOT, get('FERRETDB_BIN')),
    testServicesDir: path.join(ROOT, get('TEST_SERVICES_DIR')),
  };
}
