import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { AuditLog } from '../audit/audit-log.ts';
import type { ConnectorRegistry } from '../connector.ts';
import { ChannelStore } from '../channels/channel-store.ts';
import { DefinitionOrigin } from '../definitions/versioned-store.ts';
import { toSwitchboardError } from '../errors.ts';
import { openMappings } from '../mappings/open-mappings.ts';
import { Store } from '../store/store.ts';
import { transforms } from '../../transforms/index.ts';
import { exportTransform } from '../../transforms/mapping/mapping-export.ts';
import type { MappingDefinition } from '../../transforms/mapping/mapping-definition.ts';
import type { Io } from './cli-context.ts';

const USAGE = `usage:
  switchboard mappings export DIR        write each shipped transform in the data form as DIR/<id>.mapping.json
  switchboard mappings import FILE...    save each file as the mapping's next version (MONGODB_URL, MONGODB_DB)
(a saved mapping runs once a channel version pins it and is deployed)`;

/**
 * `switchboard mappings export|import`: the shipped TypeScript transforms and the analysts' data
 * mappings are one model. `export` writes each shipped transform as the data an analyst edits (its
 * expressions as their canonical text; tests/unit/mapping-export.test.ts proves the two give the
 * same output on every fixture); `import` saves files as new versions exactly as the console does
 * (checked, audited as `cli:<user>`). Exit codes: 0 done, 1 a file was refused or the store failed, 2 usage.
 */
export async function runMappingsCommand(
  args: readonly string[],
  io: Io,
  connectors: ConnectorRegistry,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [sub, ...files] = args;
  if (!['export', 'import'].includes(sub ?? '') || files.length === 0 || (sub === 'import' && !env.MONGODB_URL)) {
    io.err(USAGE);
    return 2;
  }
  if (sub === 'export') return exportShipped(files[0]!, io);
  const store = new Store({ url: env.MONGODB_URL!, dbName: env.MONGODB_DB || 'switchboard' });
  try {
    await store.start();
    return await importFiles(store, new ChannelStore(store, connectors), files, io);
  } catch (err) {
    const e = toSwitchboardError(err);
    io.err(`mappings ${sub} failed: ${e.code}: ${e.message}`);
    return 1;
  } finally {
    await store.close();
  }
}

/** Writes `<dir>/<id>.mapping.json` for each shipped transform (temporary name, then rename). Returns 0. */
async function exportShipped(dir: string, io: Io): Promise<number> {
  await mkdir(dir, { recursive: true });
  for (const t of transforms.values()) {
    const file = path.join(dir, `${t.id}.mapping.json`);
    await writeFile(`${file}.tmp`, `${JSON.stringify(exportTransform(t), null, 2)}\n`);
    await rename(`${file}.tmp`, file);
    io.out(`${file} (version ${t.version})`);
  }
  return 0;
}

/** Saves each file as its mapping's next version; 1 when any was refused (each problem named), else 0. */
async function importFiles(store: Store, channels: ChannelStore, files: readonly string[], io: Io): Promise<number> {
  const audit = new AuditLog(store);
  await audit.start();
  const { service } = await openMappings({ store, audit, registry: new Map(transforms), channels });
  let refused = 0;
  for (const file of files) {
    const definition = JSON.parse(await readFile(file, 'utf8')) as MappingDefinition;
    const saved = await service.save(definition, {
      origin: DefinitionOrigin.import,
      author: `cli:${userInfo().username}`,
      comment: path.basename(file),
    });
    if (!saved.ok) {
      refused++;
      for (const p of saved.check.problems)
        io.err(`${file}${p.path}${p.line ? ` (line ${p.line}, column ${p.column})` : ''}: ${p.message}`);
      continue;
    }
    const failing = saved.check.fixtures.filter((f) => !f.passed).map((f) => f.name);
    const note = `${saved.created ? '' : ' (unchanged)'}${failing.length ? `; failing fixtures: ${failing.join(', ')}` : ''}`;
    io.out(`${file}: ${definition.id} version ${saved.version.version}${note}`);
  }
  return refused > 0 ? 1 : 0;
}
