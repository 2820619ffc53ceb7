import net from 'node:net';
import tls from 'node:tls';
import { MllpFramer, frame } from '../../engine/mllp/framer.ts';
import { buildAck, decodeBytes, encodeText, readHeader, type Hl7Header } from '../../engine/hl7v2/index.ts';
import type { ChannelDefinition } from '../../engine/channel.ts';
import type { Hl7Intake, IntakeResult } from '../../engine/intake.ts';
import type { Logger } from '../../engine/log.ts';
import { ErrorCatalog } from '../../engine/errors.ts';
import { loadListenerTls, type MllpListenerTls, type MllpListenerTlsSpec } from './mllp.tls.ts';

export interface MllpSourceOptions {
  channel: ChannelDefinition;
  host: string;
  port: number;
  maxFrameBytes: number;
  idleTimeoutMs: number;
  intake: Hl7Intake;
  log: Logger;
  /** TLS (and mutual TLS) settings of the channel's source; none: plain TCP. */
  tls?: MllpListenerTlsSpec;
}

/** Frames waiting on one connection before the socket is paused (back-pressure on a sender that pipelines). */
const MAX_PENDING_FRAMES = 32;

/**
 * MLLP listener for one channel (HL7 v2 MLLP release 2; original-mode acknowledgement).
 * Per connection, frames are handed to intake one at a time and answered in order; the answer to a
 * frame is written only after intake has decided it (AA only after the durable store write).
 * A frame over `maxFrameBytes` gets an AR and the connection is closed; an idle connection is closed.
 * With `tls` the listener speaks TLS only; a client refused by mutual TLS (no certificate, one from
 * another CA, or one outside the allow-lists) is disconnected before any frame is read, so it never
 * gets an ACK, and a warning names its certificate (subject and fingerprint), never content.
 */
export class MllpSource {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly inFlight = new Set<Promise<void>>();
  private started: Promise<number> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: MllpSourceOptions) {}

  /**
   * Reads the TLS files (CONFIG_INVALID when one cannot be read or a setting is wrong) and listens;
   * resolves with the bound port. Calling it again returns the same promise.
   */
  start(): Promise<number> {
    this.started ??= this.listen();
    return this.started;
  }

  private async listen(): Promise<number> {
    const { channel, log } = this.options;
    const secure = this.options.tls ? await loadListenerTls(this.options.tls, `channel ${channel.id}`) : undefined;
    if (this.closing) throw new Error(`MLLP source of channel ${channel.id} closed before it started`);
    const server = secure ? this.tlsServer(secure) : net.createServer((socket) => this.onConnection(socket));
    this.server = server;
    return new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.options.host, port: this.options.port }, () => {
        server.off('error', reject);
        const port = (server.address() as net.AddressInfo).port;
        log.info('MLLP listener started', { channelId: channel.id, port, tls: Boolean(secure), clientCertificate: Boolean(secure?.options.requestCert) });
        resolve(port);
      });
    });
  }

  /** A TLS listener: connections are served only after the handshake and the allow-list check. */
  private tlsServer(secure: MllpListenerTls): tls.Server {
    const { channel, log } = this.options;
    const server = tls.createServer(secure.options, (socket) => {
      const refused = secure.refusal(socket);
      if (!refused) return this.onConnection(socket);
      log.warn('MLLP client certificate not allowed; connection closed', { channelId: channel.id, subject: refused.subject, fingerprint256: refused.fingerprint256, remoteAddress: socket.remoteAddress });
      socket.destroy();
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
      // A client certificate that does not chain to caFile is refused by Node after OpenSSL's handshake: its reason is on the socket.
      const code = socket.authorizationError ?? err.code ?? err.name;
      log.warn('MLLP TLS handshake refused', { channelId: channel.id, code, remoteAddress: socket.remoteAddress });
    });
    return server;
  }

  /**
   * Stops accepting, lets answers in flight finish (up to `graceMs`), then closes every connection.
   * Returns the same promise on every call.
   */
  close(graceMs = 5000): Promise<void> {
    this.closing ??= (async () => {
      try {
        this.server?.close();
      } catch {
        // not listening: nothing to stop
      }
      // Each answer in flight adds the next frame's when it is written: wait until none is left.
      const drained = (async () => {
        while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      })();
      await Promise.race([drained, new Promise((r) => setTimeout(r, graceMs).unref())]);
      for (const socket of this.sockets) socket.destroy();
    })();
    return this.closing;
  }

  private onConnection(socket: net.Socket): void {
    if (this.closing) return void socket.destroy();
    const { log, channel } = this.options;
    const framer = new MllpFramer(this.options.maxFrameBytes);
    const pending: Buffer[] = [];
    let busy = false;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleTimeoutMs, () => {
      log.info('MLLP connection idle; closing', { channelId: channel.id });
      socket.end();
    });
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => log.debug('MLLP socket error', { channelId: channel.id, error: err.name }));

    const track = (work: Promise<void>) => {
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    };
    const failed = (err: unknown) => {
      // Intake answers every outcome; reaching here is a bug. No ACK: the sender will resend.
      log.error('intake failed unexpectedly; closing the connection', { channelId: channel.id, error: (err as Error).name });
      busy = false;
      socket.destroy();
    };
    // Answers pending frames in order. A synchronous answer (ACK-only mode) is written at once; at
    // the first asynchronous one the loop waits for it and goes on from there.
    const drain = (): void => {
      busy = true;
      while (pending.length > 0 && !socket.destroyed) {
        const bytes = pending.shift()!;
        if (socket.isPaused() && pending.length < MAX_PENDING_FRAMES / 2) socket.resume();
        let answer: IntakeResult | Promise<IntakeResult>;
        try {
          answer = this.options.intake.submit(channel, bytes);
        } catch (err) {
          return failed(err);
        }
        if (answer instanceof Promise) {
          track(answer.then((result) => (write(result), drain())).catch(failed));
          return;
        }
        write(answer);
      }
      busy = false;
    };
    const write = (result: IntakeResult) => {
      if (!socket.destroyed) socket.write(frame(result.ack));
    };

    socket.on('data', (data: Buffer) => {
      for (const event of framer.push(data)) {
        switch (event.kind) {
          case 'frame':
            pending.push(event.bytes);
            break;
          case 'too-large':
            // Answer what came before in order, then refuse the oversized frame and hang up.
            track(
              (async () => {
                while (busy) await new Promise((r) => setImmediate(r));
                socket.write(frame(tooLargeAck(event.head, this.options.maxFrameBytes)));
                socket.end();
              })(),
            );
            pending.length = 0;
            socket.pause();
            return;
          case 'junk':
            log.warn('bytes outside an MLLP frame dropped', { channelId: channel.id, bytes: event.bytes });
            break;
          default:
            event satisfies never;
        }
      }
      if (pending.length >= MAX_PENDING_FRAMES) socket.pause();
      if (!busy && pending.length > 0) drain();
    });
  }
}

/** AR for an oversized frame, answering the message's own control id when its header can be read. */
function tooLargeAck(head: Buffer, maxFrameBytes: number): Uint8Array {
  const { text, charset } = decodeBytes(head);
  let header: Hl7Header | undefined;
  try {
    header = readHeader(text);
  } catch {
    header = undefined;
  }
  const reason = `${ErrorCatalog.MLLP_FRAME_TOO_LARGE.text} (${maxFrameBytes} bytes)`;
  const ack = buildAck({ ...(header ? { header } : {}), code: 'AR', controlId: `F${Date.now().toString(36).toUpperCase()}`, text: reason, hl7ErrorCode: '207' });
  return encodeText(ack, charset);
}
