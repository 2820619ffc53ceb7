import net from 'node:net';
import { MllpFramer } from '../../connectors/mllp/mllp.framer.ts';

/** What one ACK said: MSA-1 and MSA-2 (the control id it answers). */
export interface AckSeen {
  code: string;
  controlId: string;
}

/** Reads MSA-1 and MSA-2 from an ACK without a full parse (the load generator must stay cheap). */
export function readMsa(ack: Buffer): AckSeen | undefined {
  const text = ack.toString('latin1');
  // The MSA segment, not "MSA" inside MSH (an ACK's own control id may contain it).
  const at = text.search(/[\r\n]MSA/) + 1;
  if (at === 0) return undefined;
  const sep = text[at + 3] ?? '|';
  const end = text.indexOf('\r', at);
  const fields = text.slice(at, end === -1 ? undefined : end).split(sep);
  return { code: fields[1] ?? '', controlId: (fields[2] ?? '').split('^')[0] ?? '' };
}

/**
 * One MLLP client connection, original mode: `send()` writes one frame and resolves when the ACK
 * naming that control id arrives (ACKs for other ids are counted as `spurious`: a server that
 * answers a message twice, or answers the wrong one, is not credited). Rejects on timeout or close.
 */
export class MllpConnection {
  private readonly framer = new MllpFramer(16 << 20);
  private waiting:
    { controlId: string | undefined; resolve: (a: AckSeen) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  /** ACKs that answered no message in flight, or another control id. */
  spurious = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d) => {
      for (const e of this.framer.push(d)) if (e.kind === 'frame') this.onAck(e.bytes);
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Connects to 127.0.0.1:`port`, from `localAddress` when given (another 127.x address spreads ports in TIME_WAIT). */
  static open(port: number, localAddress?: string): Promise<MllpConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new MllpConnection(socket));
      });
    });
  }

  /** Writes `frame`; resolves with the ACK naming `controlId` (any ACK when it is undefined). */
  send(frame: Buffer, controlId: string | undefined, timeoutMs = 30_000): Promise<AckSeen> {
    if (this.waiting) return Promise.reject(new Error('one message in flight per connection'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no ACK for ${controlId} in ${timeoutMs} ms`)), timeoutMs);
      this.waiting = { controlId, resolve, reject, timer };
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onAck(bytes: Buffer): void {
    const ack = readMsa(bytes);
    const w = this.waiting;
    if (!w || !ack || (w.controlId !== undefined && ack.controlId !== w.controlId)) {
      this.spurious++;
      return;
    }
    clearTimeout(w.timer);
    this.waiting = undefined;
    w.resolve(ack);
  }

  private fail(err: Error): void {
    const w = this.waiting;
    if (!w) return;
    clearTimeout(w.timer);
    this.waiting = undefined;
    w.reject(err);
  }
}
