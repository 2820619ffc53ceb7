import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SwitchboardError } from '../../errors.ts';
import type { AlertRuleDefinition } from './alert-api-types.ts';

const RULE_FILE = /\.alert\.(ts|js|json)$/;

/** One rule file: `*.alert.json` (data), or `*.alert.ts|js` (its default export, compiled into the build like channels). */
async function readRuleFile(file: string): Promise<AlertRuleDefinition> {
  if (file.endsWith('.json')) return JSON.parse(await readFile(file, 'utf8')) as AlertRuleDefinition;
  return ((await import(pathToFileURL(path.resolve(file)).href)) as { default: AlertRuleDefinition }).default;
}

/**
 * Every rule file of `dir` (the alerts/ folder: rules kept in git), sorted by name, as written
 * (validated when imported at start: AlertRuleService.syncFiles). A `.ts` file is taken when both
 * it and its compiled `.js` are there (the build holds only the `.js`). A missing folder has no
 * rules; a file that cannot be read is CONFIG_INVALID naming it.
 */
export async function readAlertRuleDir(dir: string): Promise<AlertRuleDefinition[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => RULE_FILE.test(f) && !f.endsWith('.d.ts')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files = names.filter((f) => !(f.endsWith('.js') && names.includes(f.replace(/\.js$/, '.ts'))));
  return Promise.all(
    files.map(async (f) => {
      try {
        return await readRuleFile(path.join(dir, f));
      } catch (err) {
        throw new SwitchboardError('CONFIG_INVALID', `alerts/${f}: ${(err as Error).message}`);
      }
    }),
  );
}
