import net from 'node:net';
import tls from 'node:tls';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MllpFramer, frame } from '../../connectors/mllp/mllp.framer.ts';

/**
 * Field `n` (1-based, MSH-1 counted) of the first segment named `seg` in an HL7 text, split on the
 * field separator the message declares in MSH; for reading ACKs in tests.
 */
export function field(hl7: string, seg: string, n: number): string {
  const lines = hl7.split(/\r\n|\r|\n/);
  const sep = lines.find((l) => l.startsWith('MSH'))?.[3] ?? '|';
  const line = lines.find((l) => l.startsWith(`${seg}${sep}`)) ?? '';
  const parts = line.split(sep);
  return seg === 'MSH' ? (n === 1 ? sep : (parts[n - 1] ?? '')) : (parts[n] ?? '');
}

/**
 * A persistent MLLP connection for tests: `send` writes one frame and resolves with the next
 * answer. A test-side tool, independent of the engine's source (it shares only the pure framer).
 */
export class MllpTestClient {
  private readonly framer = new MllpFramer(16 << 20);
  private readonly waiting: ((ack: string | Error) => void)[] = [];
  private peerEnded = false;
  private constructor(private readonly socket: net.Socket) {
    socket.on('end', () => (this.peerEnded = true));
    socket.on('data', (d) => {
      for (const e of this.framer.push(d)) if (e.kind === 'frame') this.waiting.shift()?.(e.bytes.toString('utf8'));
    });
    socket.on('close', () => {
      for (const w of this.waiting.splice(0)) w(new Error('connection closed before an answer'));
    });
    socket.on('error', () => undefined);
  }

  /**
   * Connects; with `tlsOptions`, over TLS (resolved once our side of the handshake is done: under
   * TLS 1.3 a server may still refuse the connection after that, seen as `send` rejecting).
   */
  static connect(port: number, host = '127.0.0.1', tlsOptions?: tls.ConnectionOptions): Promise<MllpTestClient> {
    return new Promise((resolve, reject) => {
      const socket = tlsOptions
        ? tls.connect({ ...tlsOptions, port, host }, () => resolve(new MllpTestClient(socket)))
        : net.connect({ port, host }, () => resolve(new MllpTestClient(socket)));
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('connection closed while connecting')));
    });
  }

  send(message: string | Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiting.push((a) => (a instanceof Error ? reject(a) : resolve(a)));
      this.socket.write(frame(typeof message === 'string' ? Buffer.from(message, 'utf8') : message));
    });
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Whether the server ended the connection (its FIN arrived), as against our own close or a reset. */
  get endedByServer(): boolean {
    return this.peerEnded;
  }

  /** Resolves when the server closes the connection. */
  closed(): Promise<void> {
    return this.socket.closed ? Promise.resolve() : new Promise((r) => this.socket.once('close', () => r()));
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Sends one message with Debian python3-hl7's `mllp_send`, a real third-party MLLP client.
 * Its stdin reading is broken in 0.4.5, so the framed message goes through a file (`--file`).
 * Resolves with what it printed: the ACK, without its MLLP framing bytes.
 */
export async function mllpSend(port: number, message: Buffer): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sb-mllp-'));
  try {
    const file = path.join(dir, 'msg.hl7');
    await writeFile(file, frame(message));
    const { stdout } = await promisify(execFile)('mllp_send', ['--file', file, '--port', String(port), '127.0.0.1'], { timeout: 30_000 });
    return stdout.replace(/[\x0b\x1c]/g, '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
