import { open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/** One spooled event: a line of a spool file. */
export interface SpoolLine {
  key: string;
  model: string;
  event: Record<string, unknown>;
}

/**
 * Spool files in `.spool/`: a process's own (`spool-<host>-<pid>-<random>.ndjson`), one being taken
 * over (`adopting-<random>.ndjson`), and `current.ndjson`, the single shared spool of versions before
 * spools were per process.
 */
const SPOOL_FILE = /^(?:spool-.+|adopting-.+|current)\.ndjson$/;

/** Thrown by `append` when this spool was taken over by another process (its lock went stale). */
export class SpoolLostError extends Error {
  override readonly name = 'SpoolLostError';
}

/** Lines of a spool file; a torn last line (its write never returned, so it was never acknowledged) is left out. */
export function parseSpool(text: string): SpoolLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as SpoolLine];
      } catch {
        return [];
      }
    });
}

const readIfAny = (file: string): Promise<string> =>
  readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));

/**
 * This process's spool file, which only this process appends to, held by a lock
 * (`<file>.lock`, proper-lockfile: a directory whose mtime the holder refreshes every
 * `staleMs / 2`). A spool whose lock is older than `staleMs` belongs to a process that died;
 * `adoptOrphans` moves its lines into this spool. The file destination calls `open` on connect,
 * `append` per send, `truncate` after a release and `close` at shutdown, one call at a time.
 */
export class ProcessSpool {
  readonly file: string;
  private handle: FileHandle | undefined;
  private inode = 0;
  private unlock: (() => Promise<void>) | undefined;
  private lost = false;

  constructor(
    private readonly dir: string,
    private readonly staleMs: number,
  ) {
    this.file = path.join(
      dir,
      `spool-${os.hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}-${randomBytes(4).toString('hex')}.ndjson`,
    );
  }

  async open(): Promise<void> {
    this.handle = await open(this.file, 'a');
    this.inode = (await this.handle.stat()).ino;
    this.unlock = await lockfile.lock(this.file, { stale: this.staleMs, realpath: false, onCompromised: () => void (this.lost = true) });
  }

  /**
   * Appends and fsyncs the lines. Throws SpoolLostError when the file is no longer this spool
   * (another process took it over after our lock went stale): the lines may not have been taken
   * along, so they must not be acknowledged.
   */
  async append(lines: readonly SpoolLine[]): Promise<void> {
    if (lines.length === 0) return;
    const handle = this.handle;
    if (!handle) throw new SpoolLostError('the spool is closed');
    await handle.appendFile(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    await handle.sync();
    // An adopter renames the file before reading it: if the name still leads to our file, whatever we wrote is read.
    const now = await stat(this.file).catch(() => undefined);
    if (this.lost || now?.ino !== this.inode) throw new SpoolLostError('the spool was taken over by another process');
  }

  /** Empties the spool once its lines are released (or were already). */
  async truncate(): Promise<void> {
    await this.handle?.truncate(0);
    await this.handle?.sync();
  }

  /**
   * Takes over the spools of processes that died (lock stale or gone): each is renamed (so its
   * owner, were it still alive, sees it lost), its lines not `known` are appended to this spool,
   * and it is deleted. Returns those lines. A crash part-way leaves lines in two spools; the
   * release journal keeps them from being released twice.
   */
  async adoptOrphans(known: (key: string) => boolean): Promise<SpoolLine[]> {
    const adopted: SpoolLine[] = [];
    const keys = new Set<string>();
    for (const name of (await readdir(this.dir)).filter((n) => SPOOL_FILE.test(n))) {
      const file = path.join(this.dir, name);
      if (file === this.file) continue;
      let release: () => Promise<void>;
      try {
        release = await lockfile.lock(file, { stale: this.staleMs, realpath: false, onCompromised: () => undefined });
      } catch {
        continue; // held by a live process
      }
      try {
        const taken = path.join(this.dir, `adopting-${randomBytes(6).toString('hex')}.ndjson`);
        const moved = await rename(file, taken).then(
          () => true,
          (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? false : Promise.reject(err)),
        );
        if (!moved) continue;
        const fresh = parseSpool(await readIfAny(taken)).filter((l) => !known(l.key) && !keys.has(l.key) && keys.add(l.key));
        await this.append(fresh);
        adopted.push(...fresh);
        await unlink(taken).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
      } finally {
        await release().catch(() => undefined);
      }
    }
    return adopted;
  }

  /** Closes the file and gives up the lock; the lines stay for the next process to adopt. */
  async close(): Promise<void> {
    const [handle, unlock] = [this.handle, this.unlock];
    this.handle = undefined;
    this.unlock = undefined;
    await handle?.close().catch(() => undefined);
    await unlock?.().catch(() => undefined);
  }
}
