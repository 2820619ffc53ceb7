import net from 'node:net';
import tls from 'node:tls';
import type { ChannelDefinition } from '../../engine/channel.ts';
import type { Hl7Intake } from '../../engine/intake.ts';
import type { Logger } from '../../engine/log.ts';
import { ConnectionLimits, type MllpListenerLimits } from './mllp.connection-limits.ts';
import { MllpConnection } from './mllp.connection.ts';
import { loadListenerTls, type MllpListenerTls, type MllpListenerTlsSpec } from './mllp.tls.ts';

export interface MllpSourceOptions extends MllpListenerLimits {
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

/**
 * MLLP listener for one channel (HL7 v2 MLLP release 2; original-mode acknowledgement). Each
 * connection is served by an MllpConnection (frames answered in order, AA only after the durable
 * store write; closed on a frame too large, bytes that are not MLLP such as an HTTP request, a frame
 * not completed within `frameTimeoutMs`, or idleness). The listener caps its connections, those of
 * one address and the bytes they buffer together (MllpListenerLimits): a connection past a cap is
 * closed at once.
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
  private readonly limits: ConnectionLimits;

  constructor(private readonly options: MllpSourceOptions) {
    this.limits = new ConnectionLimits(options, options.log, options.channel.id);
  }

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
    const server = secure ? this.tlsServer(secure) : net.createServer();
    // With TLS, tls.Server's own listener (added first) starts the handshake; a refused socket is destroyed under it.
    server.on('connection', (socket: net.Socket) => this.onAccept(socket, !secure));
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
      // A reset mid-handshake is the peer hanging up (or a connection over a cap, closed under the handshake): not a refusal, and a flood of them must not flood the log.
      if (!socket.authorizationError && err.code === 'ECONNRESET') return void log.debug('MLLP connection reset during the TLS handshake', { channelId: channel.id });
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

  /** Every raw TCP connection, before TLS: counted against the caps, or closed at once. */
  private onAccept(socket: net.Socket, plain: boolean): void {
    if (this.closing) return void socket.destroy();
    if (this.limits.admit(socket) && plain) this.onConnection(socket);
  }

  /** A connection ready for MLLP (after the TLS handshake and allow-list check, with TLS). */
  private onConnection(socket: net.Socket): void {
    if (this.closing || socket.destroyed) return void socket.destroy();
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const { channel, intake, log, maxFrameBytes, idleTimeoutMs, frameTimeoutMs } = this.options;
    new MllpConnection(socket, { channel, intake, log, maxFrameBytes, idleTimeoutMs, frameTimeoutMs, limits: this.limits, track: (work) => this.track(work) });
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }
}
