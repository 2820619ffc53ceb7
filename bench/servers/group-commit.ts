import { open, type FileHandle } from 'node:fs/promises';
import { frame } from '../../connectors/mllp/mllp.framer.ts';
import { buildAck, decodeBytes, encodeText, readHeader } from '../../hl7v2/index.ts';
import type { FrameHandler } from './echo-servers.ts';

/**
 * Floor 3, the durable floor of this disk: an append-only file with group commit. Frames that
 * arrive while a flush runs wait for the next one; each flush is one writev of every waiting frame
 * and one fdatasync, after which all of them are answered (a real ACK, as in floor 2). This is the
 * least any server can do to make a message survive a power cut on this machine.
 */
export class GroupCommitLog {
  private waiting: { bytes: Buffer; done: () => void }[] = [];
  private flushing = false;
  /** Flushes done, and frames they carried (frames per fsync = the group size). */
  flushes = 0;
  frames = 0;

  private constructor(private readonly file: FileHandle) {}

  static async open(path: string): Promise<GroupCommitLog> {
    return new GroupCommitLog(await open(path, 'a'));
  }

  /** Resolves once `bytes` is on disk. */
  append(bytes: Buffer): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push({ bytes, done: resolve });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.waiting.length > 0) {
      const group = this.waiting;
      this.waiting = [];
      await this.file.writev(group.map((g) => g.bytes));
      await this.file.datasync();
      this.flushes++;
      this.frames += group.length;
      for (const g of group) g.done();
    }
    this.flushing = false;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/** The MLLP handler of floor 3: append, group commit, then the real ACK. */
export function durableAck(log: GroupCommitLog): FrameHandler {
  let counter = 0;
  return async (bytes) => {
    await log.append(bytes);
    const { text, charset } = decodeBytes(bytes, { defaultCharset: 'UNICODE UTF-8' });
    return frame(encodeText(buildAck({ header: readHeader(text), code: 'AA', controlId: `F${(counter++).toString(36)}` }), charset));
  };
}
