import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { SwitchboardError } from '../../errors.ts';
import type { Store } from '../../store/store.ts';
import { decodeLine, locateDataFile, manifestFileName, parseManifest, type ArchiveManifest } from './archive-format.ts';
import { DAY_MS } from '../../durations.ts';

const gunzipAsync = promisify(gunzip);

/** What one restore did. */
export interface RestoreReport {
  /** The data files read. */
  files: string[];
  /** The manifest each file was checked against (sha256 and size), when one was found. */
  checkedAgainst: string[];
  /** Messages in the files (of those asked for, with `only`). */
  messages: number;
  /** Put back now, already stored (nothing written), refused (another message holds its key). */
  restored: string[];
  present: number;
  conflicts: string[];
}

/**
 * The data files `file` names: itself (a `.ndjson.gz` data file), or every file of a run's
 * manifest (a `.json` manifest). ARCHIVE_INVALID when a manifest does not read.
 */
async function dataFiles(file: string): Promise<{ files: string[]; manifest?: { path: string; value: ArchiveManifest } }> {
  if (!file.endsWith('.json')) return { files: [path.resolve(file)] };
  const value = parseManifest(await read(file, 'utf8'));
  const dir = path.dirname(path.dirname(path.resolve(file)));
  return { files: value.files.map((f) => path.join(dir, f.file)), manifest: { path: path.resolve(file), value } };
}

async function read(file: string, encoding: 'utf8'): Promise<string>;
async function read(file: string): Promise<Buffer>;
async function read(file: string, encoding?: 'utf8'): Promise<string | Buffer> {
  try {
    return encoding ? await readFile(file, encoding) : await readFile(file);
  } catch (err) {
    throw new SwitchboardError('ARCHIVE_INVALID', `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** The manifest beside a data file (`<dir>/manifests/<run>.json`), if there is one. */
async function manifestOf(file: string): Promise<{ path: string; value: ArchiveManifest } | undefined> {
  const at = locateDataFile(file);
  if (!at) return undefined;
  const p = path.join(at.dir, manifestFileName(at.runId));
  const found = await access(p).then(
    () => true,
    () => false,
  );
  return found ? { path: p, value: parseManifest(await read(p, 'utf8')) } : undefined;
}

/**
 * A data file's lines, checked against its manifest when there is one: the file must be listed,
 * with the same size and sha256 (ARCHIVE_INVALID "altered" otherwise). A file without a manifest (a
 * run cut short before writing it) is read unchecked.
 */
async function linesOf(file: string, known?: { path: string; value: ArchiveManifest }): Promise<{ lines: string[]; manifest?: string }> {
  const bytes = await read(file);
  const manifest = known ?? (await manifestOf(file));
  if (manifest) {
    const dir = path.dirname(path.dirname(manifest.path));
    const entry = manifest.value.files.find((f) => path.join(dir, f.file) === file);
    if (!entry) throw new SwitchboardError('ARCHIVE_INVALID', `${file} is not listed in its manifest ${manifest.path}`);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== entry.sha256 || bytes.length !== entry.bytes)
      throw new SwitchboardError('ARCHIVE_INVALID', `${file} was altered: its size or sha256 differs from its manifest`);
  }
  let text: string;
  try {
    text = (await gunzipAsync(bytes)).toString('utf8');
  } catch {
    throw new SwitchboardError('ARCHIVE_INVALID', `${file} is not a gzip file`);
  }
  return { lines: text.split('\n').filter((l) => l.length > 0), ...(manifest ? { manifest: manifest.path } : {}) };
}

/**
 * `switchboard archive restore`: puts the messages of an archive data file (or of every file of a
 * run's manifest) back in the store as they were stored, so that search finds them and a replay or
 * re-route can send them again. Idempotent: a message already stored is left as it is. With
 * `only`, just those message ids. Each restored message is held from pruning for `keepDays` (it is
 * old, so its rule would otherwise take it at the next run). Throws ARCHIVE_INVALID for an altered
 * or unreadable file, CONFIG_INVALID when a message needs an encryption key not configured.
 */
export async function restoreArchive(o: {
  store: Store;
  file: string;
  only?: ReadonlySet<string>;
  keepDays: number;
}): Promise<RestoreReport> {
  const { files, manifest } = await dataFiles(o.file);
  const report: RestoreReport = { files, checkedAgainst: [], messages: 0, restored: [], present: 0, conflicts: [] };
  const now = Date.now();
  for (const file of files) {
    const { lines, manifest: checked } = await linesOf(file, manifest);
    if (checked && !report.checkedAgainst.includes(checked)) report.checkedAgainst.push(checked);
    for (const text of lines) {
      const { content, state } = decodeLine(text);
      if (o.only && !o.only.has(content._id)) continue;
      report.messages++;
      const outcome = await o.store.retention.restore(content, state);
      if (outcome === 'restored') report.restored.push(content._id);
      else if (outcome === 'present') report.present++;
      else report.conflicts.push(content._id);
    }
  }
  const grace = new Date(now + o.keepDays * DAY_MS);
  await o.store.retention.hold(report.restored.map((id) => ({ _id: id, reason: 'restored', notBefore: grace, since: new Date(now) })));
  return report;
}
