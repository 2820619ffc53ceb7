import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import type { SpoolLine } from './process-spool.ts';

const ignoreMissing = (err: NodeJS.ErrnoException): undefined => {
  if (err.code === 'ENOENT') return undefined;
  throw err;
};

async function writeSynced(file: string, text: string, flags: 'w' | 'a'): Promise<void> {
  const handle = await open(file, flags);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Which batches were released, shared by every process writing one batch directory:
 * `.spool/released.ndjson`, one line per batch, `{"batch":"<file name>","keys":[…]}`. A release
 * writes the batch to `.spool/<name>.tmp` (fsynced), appends its line (fsynced), then renames the
 * file into the directory: the line is the commit. `recover` (at connect, and on the destination's
 * timer) renames a `.tmp` whose line is there and deletes one whose line is not (its lines are still
 * in a spool). Releases and recovery run one at a time across processes under
 * `.spool/released.ndjson.lock` (proper-lockfile), and each first reads the lines others appended,
 * so a key is released once even when it sits in two spools (a retry that reached another process,
 * or a takeover cut short by a crash). Keys in `.spool/keys` (written by versions before this
 * journal) count as released.
 */
export class ReleaseJournal {
  private readonly file: string;
  private readonly released = new Set<string>();
  private readonly batches = new Set<string>();
  private offset = 0;

  constructor(
    private readonly spoolDir: string,
    private readonly directory: string,
    private readonly staleMs: number,
  ) {
    this.file = path.join(spoolDir, 'released.ndjson');
  }

  /** Whether `key` was released (as far as this process has read the journal). */
  has(key: string): boolean {
    return this.released.has(key);
  }

  async open(): Promise<void> {
    const legacy = await readFile(path.join(this.spoolDir, 'keys'), 'utf8').catch(ignoreMissing);
    for (const key of (legacy ?? '').split('\n').filter(Boolean)) this.released.add(key);
    await this.recover();
  }

  /**
   * Releases the lines not released yet (by any process) as the file `name(count)`; returns how
   * many it wrote (0: none were left, and no file is written).
   */
  release(lines: readonly SpoolLine[], name: (count: number) => string, render: (lines: readonly SpoolLine[]) => string): Promise<number> {
    return this.locked(async () => {
      await this.catchUp();
      const keys = new Set<string>();
      const fresh = lines.filter((l) => !this.released.has(l.key) && !keys.has(l.key) && keys.add(l.key));
      if (fresh.length === 0) return 0;
      const batch = name(fresh.length);
      await writeSynced(path.join(this.spoolDir, `${batch}.tmp`), render(fresh), 'w');
      // Each entry starts on a new line, so one torn by a crash cannot swallow the next.
      await writeSynced(this.file, `\n${JSON.stringify({ batch, keys: [...keys] })}\n`, 'a');
      await this.publish(batch);
      return fresh.length;
    });
  }

  /** Finishes releases a crash interrupted: see the class comment. */
  recover(): Promise<void> {
    return this.locked(async () => {
      await this.catchUp();
      for (const tmp of (await readdir(this.spoolDir)).filter((n) => n.endsWith('.tmp'))) {
        const batch = tmp.slice(0, -'.tmp'.length);
        if (this.batches.has(batch)) await this.publish(batch);
        else await unlink(path.join(this.spoolDir, tmp)).catch(ignoreMissing);
      }
    });
  }

  private async publish(batch: string): Promise<void> {
    await rename(path.join(this.spoolDir, `${batch}.tmp`), path.join(this.directory, batch));
    const dir = await open(this.directory, 'r');
    await dir.sync().finally(() => dir.close());
  }

  /** Reads the entries appended since the last call (ours and other processes'). */
  private async catchUp(): Promise<void> {
    const handle = await open(this.file, 'a+');
    try {
      const { size } = await handle.stat();
      if (size <= this.offset) return;
      const buffer = Buffer.alloc(size - this.offset);
      await handle.read(buffer, 0, buffer.length, this.offset);
      this.offset = size;
      for (const line of buffer.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const entry = JSON.parse(line) as { batch: string; keys: string[] };
          this.batches.add(entry.batch);
          for (const key of entry.keys) this.released.add(key);
        } catch {
          // a line torn by a crash: its batch was never renamed into place, and recover() deleted it
        }
      }
    } finally {
      await handle.close();
    }
  }

  /** Runs `op` holding the journal's lock; waits while another process holds it (at most until a dead holder's lock is stale). */
  private async locked<T>(op: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.staleMs * 2;
    let release: () => Promise<void>;
    for (;;) {
      try {
        release = await lockfile.lock(this.file, { stale: this.staleMs, realpath: false, onCompromised: () => undefined });
        break;
      } catch (err) {
        // proper-lockfile's own retries would also retry a missing directory; only a held lock is worth waiting for.
        if ((err as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 45));
      }
    }
    try {
      return await op();
    } finally {
      await release().catch(() => undefined);
    }
  }
}
