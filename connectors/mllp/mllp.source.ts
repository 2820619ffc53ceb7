import net from 'node:net';
import tls from 'node:tls';
import type { ChannelDefinition } from '../../engine/channel.ts';
import { Type, type Static } from '@sinclair/typebox';
import { defineSource, type Intake, type SourceConnector, type SourceStarted, type SourceTracing } from '../../engine/connector.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import type { Logger } from '../../engine/log.ts';
import { ConnectionLimits, type MllpListenerLimits } from './mllp.connection-limits.ts';
import { MllpConnection } from './mllp.connection.ts';
import { loadListenerTls, MllpListenerTlsConfig, type MllpListenerTls, type MllpListenerTlsSpec } from './mllp.tls.ts';

export interface MllpSourceOptions extends MllpListenerLimits {
  channel: ChannelDefinition;
  host: string;
  port: number;
  maxFrameBytes: number;
  idleTimeoutMs: number;
  /** Charset when MSH-18 is empty. */
  defaultCharset: string;
  intake: Intake;
  log: Logger;
  /** Opens each frame's trace (the engine's SourceTracing). */
  tracing: SourceTracing;
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
    if (this.closing) throw new SwitchboardError('CONFLICT', `MLLP source of channel ${channel.id} closed before it started`);
    const server = secure ? this.tlsServer(secure) : net.createServer();
    // With TLS, tls.Server's own listener (added first) starts the handshake; a refused socket is destroyed under it.
    server.on('connection', (socket: net.Socket) => this.onAccept(socket, !secure));
    this.server = server;
    return new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.options.host, port: this.options.port }, () => {
        server.off('error', reject);
        const port = (server.address() as net.AddressInfo).port;
        log.info('MLLP listener started', {
          channelId: channel.id,
          port,
          tls: Boolean(secure),
          clientCertificate: Boolean(secure?.options.requestCert),
        });
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
      log.warn('MLLP client certificate not allowed; connection closed', {
        channelId: channel.id,
        subject: refused.subject,
        fingerprint256: refused.fingerprint256,
        remoteAddress: socket.remoteAddress,
      });
      socket.destroy();
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
      // A client certificate that does not chain to caFile is refused by Node after OpenSSL's handshake: its reason is on the socket.
      const code = socket.authorizationError ?? err.code ?? err.name;
      // A reset mid-handshake is the peer hanging up (or a connection over a cap, closed under the handshake): not a refusal, and a flood
      // of them must not flood the log.
      if (!socket.authorizationError && err.code === 'ECONNRESET')
        return void log.debug('MLLP connection reset during the TLS handshake', { channelId: channel.id });
      log.warn('MLLP TLS handshake refused', { channelId: channel.id, code, remoteAddress: socket.remoteAddress });
    });
    return server;
  }

  /**
   * Stops accepting, lets answers in flight finish (up to `graceMs`), then closes every connection,
   * and resolves once the server has closed (the port is free again; at most `graceMs` more).
   * Returns the same promise on every call.
   */
  close(graceMs = 5000): Promise<void> {
    this.closing ??= (async () => {
      const bound = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
      // The server's 'close' comes once it no longer listens and its last connection has ended.
      const closed = new Promise<void>((resolve) => {
        if (!this.server?.listening) return resolve();
        this.server.close(() => resolve());
      });
      // Each answer in flight adds the next frame's when it is written: wait until none is left.
      const drained = (async () => {
        while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      })();
      await Promise.race([drained, bound(graceMs)]);
      for (const socket of this.sockets) socket.destroy();
      await Promise.race([closed, bound(graceMs)]);
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
    const { channel, intake, log, maxFrameBytes, idleTimeoutMs, frameTimeoutMs, defaultCharset, tracing } = this.options;
    const ctx = { channel, intake, log, maxFrameBytes, idleTimeoutMs, frameTimeoutMs, defaultCharset, tracing };
    new MllpConnection(socket, { ...ctx, limits: this.limits, track: (work) => this.track(work) });
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }
}

const Count = (description: string, dflt?: number) =>
  Type.Integer({ minimum: 1, description, ...(dflt === undefined ? {} : { default: dflt }) });

/** An MLLP source's settings: the channel's `source` object less `kind`. */
export const MllpSourceConfig = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'Address to listen on (0.0.0.0 for every interface).' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, description: 'TCP port; 0 takes a free one (tests).' }),
    maxFrameBytes: Count('Largest frame accepted; a larger one gets AR and the connection is closed. Default 1 MiB.', 1024 * 1024),
    idleTimeoutMs: Count('A connection with no traffic (and no answer owed) for this long is closed. Default 5 minutes.', 300_000),
    frameTimeoutMs: Type.Optional(
      Count(
        'A frame not complete this long after its start block: the connection is closed, unanswered. Default MLLP_FRAME_TIMEOUT_MS (30 s).',
      ),
    ),
    maxConnections: Type.Optional(
      Count('Open connections of this listener; one more is closed at once. Default MLLP_MAX_CONNECTIONS (1,000).'),
    ),
    maxConnectionsPerAddress: Type.Optional(
      Count('Open connections from one remote address. Default MLLP_MAX_CONNECTIONS_PER_ADDRESS (100).'),
    ),
    maxBufferedBytes: Type.Optional(
      Count(
        'Bytes all connections may hold together (unfinished frames and frames waiting for intake). ' +
          'Default MLLP_MAX_BUFFERED_BYTES (256 MiB).',
      ),
    ),
    defaultCharset: Type.String({
      minLength: 1,
      description: 'Charset when MSH-18 is empty (an MSH-18 value, e.g. 8859/1).',
      default: 'UNICODE UTF-8',
    }),
    tls: Type.Optional(MllpListenerTlsConfig),
  },
  { additionalProperties: false },
);
export type MllpSourceConfig = Static<typeof MllpSourceConfig>;

/**
 * The `mllp` source: one MLLP listener per channel (MllpSource). Pausing closes the listener (senders
 * queue on their side, as with a closed interface); resuming listens again on the same port.
 */
export const mllpSource = defineSource({
  kind: 'mllp',
  title: 'MLLP listener (HL7 v2)',
  config: MllpSourceConfig,
  secrets: [],
  examples: [
    { host: '0.0.0.0', port: 2575, maxFrameBytes: 1024 * 1024, idleTimeoutMs: 300_000, defaultCharset: 'UNICODE UTF-8' },
    {
      host: '0.0.0.0',
      port: 2576,
      maxFrameBytes: 1024 * 1024,
      idleTimeoutMs: 300_000,
      defaultCharset: '8859/1',
      tls: {
        certFile: '/etc/switchboard/tls/server.crt',
        keyFile: '/etc/switchboard/tls/server.key',
        caFile: '/etc/switchboard/tls/clients-ca.crt',
        requireClientCertificate: true,
      },
    },
  ],
  start: async ({ intake, log, config: engine, tracing }) => ({
    create: (channel, c) => {
      const options: MllpSourceOptions = {
        channel,
        intake,
        log,
        tracing,
        host: c.host,
        port: c.port,
        maxFrameBytes: c.maxFrameBytes,
        idleTimeoutMs: c.idleTimeoutMs,
        defaultCharset: c.defaultCharset,
        frameTimeoutMs: c.frameTimeoutMs ?? engine.MLLP_FRAME_TIMEOUT_MS,
        maxConnections: c.maxConnections ?? engine.MLLP_MAX_CONNECTIONS,
        maxConnectionsPerAddress: c.maxConnectionsPerAddress ?? engine.MLLP_MAX_CONNECTIONS_PER_ADDRESS,
        maxBufferedBytes: c.maxBufferedBytes ?? engine.MLLP_MAX_BUFFERED_BYTES,
        ...(c.tls ? { tls: c.tls } : {}),
      };
      return new PausableListener(() => new MllpSource(options));
    },
    close: async () => undefined,
  }),
});

/** A channel's MLLP source: a listener while running, none while paused (a closed MllpSource is not reopened). */
class PausableListener implements SourceConnector {
  private listener: MllpSource | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly open: () => MllpSource) {}

  async start(): Promise<SourceStarted> {
    if (this.closing) throw new SwitchboardError('CONFLICT', 'the MLLP source is closed');
    this.listener ??= this.open();
    return { port: await this.listener.start() };
  }

  async pause(graceMs: number): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close(graceMs);
  }

  resume(): Promise<SourceStarted> {
    return this.start();
  }

  close(graceMs: number): Promise<void> {
    this.closing ??= this.pause(graceMs);
    return this.closing;
  }
}
