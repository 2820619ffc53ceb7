import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { SwitchboardError } from '../../errors.ts';
import type { MessageContent, MessageState } from '../../store/message-state.ts';
import { buildManifest, dataFileName, encodeLine, manifestFileName, type ArchiveManifest, type ManifestFile } from './archive-format.ts';

const gzipAsync = promisify(gzip);

/** One data file of the run being written: its entry so far and its running hash. */
interface OpenFile {
  entry: ManifestFile;
  hash: Hash;
}

/**
 * Writes one pruning run's archive under `dir` (ARCHIVE_DIR): a gzip NDJSON data file per received
 * day and channel (archive-format.ts), then the run's manifest. Each batch is appended to its files
 * as one gzip member of its own and synced to disk before `append` resolves, so the pruner deletes
 * only what is durably archived, and a file cut short by a crash is still a valid gzip of whole
 * lines (a gzip reader reads concatenated members as one stream). The manifest (files, counts,
 * sha256, time range) is written last, atomically (written aside, synced, renamed); a crash before
 * it leaves data files without a manifest, which restore still reads (it then cannot check them).
 * Errors of the file system are CONFIG_INVALID naming the path (a full or read-only disk).
 */
export class ArchiveWriter {
  private readonly files = new Map<string, OpenFile>();
  private readonly keyIds = new Set<string>();

  constructor(private readonly o: { dir: string; runId: string }) {}

  /** Checks at start that `dir` exists (made if missing) and takes files; CONFIG_INVALID otherwise. */
  static async check(dir: string): Promise<void> {
    try {
      await mkdir(path.join(dir, 'manifests'), { recursive: true, mode: 0o700 });
      const probe = path.join(dir, `.write-check-${process.pid}`);
      await writeFile(probe, '');
      await rm(probe);
    } catch (err) {
      throw new SwitchboardError(
        'CONFIG_INVALID',
        `ARCHIVE_DIR ${dir} cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }

  /** Appends `messages` (one received day, one channel), durably. */
  async append(day: string, channelId: string, messages: readonly { content: MessageContent; state: MessageState }[]): Promise<void> {
    if (messages.length === 0) return;
    const rel = dataFileName(day, channelId, this.o.runId);
    const file = this.files.get(rel) ?? this.opened(rel, day, channelId, messages[0]!.content.receivedAt);
    const text = messages.map((m) => `${encodeLine(m.content, m.state)}\n`).join('');
    const member = await gzipAsync(Buffer.from(text, 'utf8'));
    const full = path.join(this.o.dir, rel);
    await this.io(full, async () => {
      await mkdir(path.dirname(full), { recursive: true, mode: 0o700 });
      const fd = await open(full, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
      try {
        await fd.write(member);
        await fd.sync();
      } finally {
        await fd.close();
      }
    });
    file.hash.update(member);
    const e = file.entry;
    e.bytes += member.length;
    e.messages += messages.length;
    for (const { content, state } of messages) {
      e.byStatus[state.status] = (e.byStatus[state.status] ?? 0) + 1;
      const at = content.receivedAt.toISOString();
      if (at < e.from) e.from = at;
      if (at > e.to) e.to = at;
      if (content.kid) this.keyIds.add(content.kid);
    }
    e.sha256 = file.hash.copy().digest('hex');
  }

  private opened(rel: string, day: string, channelId: string, at: Date): OpenFile {
    const iso = at.toISOString();
    const file: OpenFile = {
      entry: { file: rel, day, channelId, messages: 0, byStatus: {}, bytes: 0, sha256: '', from: iso, to: iso },
      hash: createHash('sha256'),
    };
    this.files.set(rel, file);
    return file;
  }

  /** The data files written so far. */
  entries(): ManifestFile[] {
    return [...this.files.values()].map((f) => ({ ...f.entry, byStatus: { ...f.entry.byStatus } }));
  }

  /** Writes the run's manifest (when any file was written) and returns it with its path relative to the directory. */
  async finish(createdAt = new Date()): Promise<{ manifest: ArchiveManifest; file: string } | undefined> {
    if (this.files.size === 0) return undefined;
    const manifest = buildManifest({ runId: this.o.runId, createdAt, files: this.entries(), keyIds: [...this.keyIds] });
    const rel = manifestFileName(this.o.runId);
    const full = path.join(this.o.dir, rel);
    await this.io(full, async () => {
      await mkdir(path.dirname(full), { recursive: true, mode: 0o700 });
      const aside = `${full}.partial`;
      const fd = await open(aside, 'w', 0o600);
      try {
        await fd.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
        await fd.sync();
      } finally {
        await fd.close();
      }
      await rename(aside, full);
    });
    return { manifest, file: rel };
  }

  private async io(file: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      throw new SwitchboardError(
        'CONFIG_INVALID',
        `archive ${file} cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        {
          cause: err,
        },
      );
    }
  }
}
