import net from 'node:net';
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import {
  defineDestination,
  type ConnectionTestResult,
  type DeliveryContext,
  type DeliveryPayload,
  type DeliveryResult,
  type DestinationConnector,
} from '../../engine/connector.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { decodeBytes, encodeText, HL7_CHARSETS, Hl7ParseError, parseMessage, unencodableAt } from '../../hl7v2/index.ts';
import { MllpFramer, frame } from './mllp.framer.ts';
import { classifyNetworkError } from '../http/http-failures.ts';
import { toHl7 } from './mllp.outbound-mapping.ts';
import { connectTls, MllpOutTlsConfig } from './mllp.tls.ts';

export const MllpOutConfig = Type.Object({
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  connectTimeoutMs: Type.Integer({ minimum: 100, default: 5000 }),
  /** No ACK by then: the attempt is ambiguous (the peer may have the message) and the connection is reset. */
  ackTimeoutMs: Type.Integer({ minimum: 100, default: 30_000 }),
  sendingApplication: Type.String({ default: 'SWITCHBOARD' }),
  sendingFacility: Type.String({ default: '' }),
  receivingApplication: Type.String({ default: '' }),
  receivingFacility: Type.String({ default: '' }),
  /**
   * The charset messages are written in, named in MSH-18 (HL7 table 0211). An event holding a
   * character this charset cannot write is refused (CANONICAL_INVALID, permanent), never altered.
   */
  charset: Type.Union(
    HL7_CHARSETS.map((c) => Type.Literal(c)),
    { default: 'UNICODE UTF-8' },
  ),
  /** MLLP over TLS; with `clientCertificate`, mutual TLS. Files, as an HTTPS destination's `tls`. */
  tls: Type.Optional(MllpOutTlsConfig),
});
export type MllpOutConfig = Static<typeof MllpOutConfig>;

/**
 * MLLP destination: sends each canonical event as an HL7v2 message (see mllp.outbound-mapping.ts)
 * over one persistent connection, one message in flight, and reads its original-mode ACK:
 * AA/CA delivered; AE/CE permanent (PEER_REJECTED, MSA-3 kept); AR/CR transient (PEER_UNAVAILABLE);
 * no ACK in time ambiguous (PEER_TIMEOUT, the connection is reset); refused connection not
 * connected; a connection lost in flight ambiguous. With `tls`, a failed handshake or a peer that
 * refuses our certificate is PEER_TLS_FAILED (not connected; see `connectTls` for how a TLS 1.3
 * refusal is told apart from a lost connection). MSH-10 is derived from the idempotency key, so
 * a peer that de-duplicates by control id sees a retry as the same message; as most do not, the
 * connector is not declared idempotent and ambiguous failures are not retried blindly.
 * Messages are written in `charset` (MSH-18); the peer's ACK is read in the charset its MSH-18 names.
 */
export const mllpDestination = defineDestination({
  kind: 'mllp-out',
  title: 'HL7v2 over MLLP (billing systems)',
  config: MllpOutConfig,
  secrets: ['tls.clientCertificate.keyPassphrase'],
  idempotent: false,
  models: ['ChargeEvent', 'EncounterEvent'],
  examples: [
    {
      host: 'billing.example.org',
      port: 2576,
      connectTimeoutMs: 5000,
      ackTimeoutMs: 30_000,
      sendingApplication: 'SWITCHBOARD',
      sendingFacility: 'GENHOSP',
      receivingApplication: 'BILLING',
      receivingFacility: 'GENHOSP',
      charset: 'UNICODE UTF-8',
    },
    {
      host: 'billing.example.org',
      port: 2577,
      connectTimeoutMs: 5000,
      ackTimeoutMs: 30_000,
      sendingApplication: 'SWITCHBOARD',
      sendingFacility: 'GENHOSP',
      receivingApplication: 'BILLING',
      receivingFacility: 'GENHOSP',
      charset: '8859/1',
      tls: {
        caFile: '/etc/switchboard/billing-ca.pem',
        clientCertificate: { certFile: '/etc/switchboard/client.pem', keyFile: '/etc/switchboard/client.key' },
      },
    },
  ],
  create: (config) => new MllpDestination(config),
});

/** MSH-10 for an idempotency key: 20 characters (the v2.5 limit), the same on every attempt. */
export const controlIdFor = (key: string): string => createHash('sha256').update(key).digest('base64url').slice(0, 20);

class MllpDestination implements DestinationConnector {
  private socket: net.Socket | undefined;
  private framer = new MllpFramer(16 << 20);
  private waiting: ((ack: Buffer | SwitchboardError) => void) | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly config: MllpOutConfig) {}

  async connect(): Promise<void> {
    if (this.socket && !this.socket.destroyed) return;
    this.closed = false;
    const { host, port, connectTimeoutMs: timeoutMs, tls } = this.config;
    this.socket = tls ? await connectTls({ host, port, tls, timeoutMs }) : await connectPlain(host, port, timeoutMs);
    this.framer = new MllpFramer(16 << 20);
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      for (const e of this.framer.push(d)) if (e.kind === 'frame') this.take(e.bytes);
    });
    // A TLS alert (e.g. our certificate refused after the handshake) means the peer processed nothing.
    let tlsFailure: SwitchboardError | undefined;
    socket.on('error', (err) => {
      const classified = classifyNetworkError(err, false);
      if (classified.code === 'PEER_TLS_FAILED') tlsFailure = classified;
    });
    socket.on('close', () => {
      // Only the current connection speaks for the message in flight (a reset one is already answered).
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.take(tlsFailure ?? new SwitchboardError('PEER_CONNECTION_LOST', 'the peer closed the connection before its ACK'));
    });
  }

  send(payload: DeliveryPayload, ctx: DeliveryContext): Promise<DeliveryResult> {
    const run = async (): Promise<DeliveryResult> => {
      if (this.closed) throw new SwitchboardError('PEER_NOT_CONNECTED', 'the connector is closed');
      const controlId = controlIdFor(ctx.idempotencyKey);
      const message = toHl7(payload, { controlId, ...this.config });
      const bytes = encoded(message, this.config.charset);
      await this.connect();
      const answer = new Promise<Buffer | SwitchboardError>((resolve) => (this.waiting = resolve));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<SwitchboardError>((resolve) => {
        timer = setTimeout(
          () => resolve(new SwitchboardError('PEER_TIMEOUT', `no ACK within ${this.config.ackTimeoutMs} ms`)),
          this.config.ackTimeoutMs,
        );
      });
      this.socket!.write(frame(bytes));
      const ack = await Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
      this.waiting = undefined;
      if (ack instanceof SwitchboardError) {
        if (ack.code === 'PEER_TIMEOUT') {
          // A late ACK must not answer the next message: reset the connection.
          const stale = this.socket;
          this.socket = undefined;
          stale?.destroy();
        }
        throw ack;
      }
      return readAck(ack, controlId);
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  async test(): Promise<ConnectionTestResult> {
    try {
      await this.connect();
      return { ok: true, detail: `connected to ${this.config.host}:${this.config.port}` };
    } catch (err) {
      return { ok: false, detail: err instanceof SwitchboardError ? err.message : 'cannot connect' };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.socket?.destroy();
    this.socket = undefined;
  }

  private take(ack: Buffer | SwitchboardError): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(ack);
  }
}

/** A plain TCP connection; every failure is PEER_NOT_CONNECTED (nothing was sent). */
function connectPlain(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => (socket.destroy(), reject(new SwitchboardError('PEER_NOT_CONNECTED', 'connect timed out'))), timeoutMs);
    socket.once('connect', () => (clearTimeout(timer), resolve(socket)));
    socket.once(
      'error',
      (err) => (
        clearTimeout(timer),
        reject(
          new SwitchboardError('PEER_NOT_CONNECTED', `cannot connect (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err }),
        )
      ),
    );
  });
}

/** The message's bytes in `charset`; CANONICAL_INVALID when a character cannot be written in it (never replaced). */
function encoded(message: string, charset: string): Uint8Array {
  const at = unencodableAt(message, charset);
  if (at !== -1) {
    const segment = message.slice(message.lastIndexOf('\r', at) + 1).slice(0, 3);
    throw new SwitchboardError('CANONICAL_INVALID', `the ${segment} segment holds a character ${charset} cannot write`);
  }
  return encodeText(message, charset);
}

/** Classifies an original-mode ACK (HL7 v2.5.1 §2.9.2, MSA-1) for the message sent with `controlId`. */
function readAck(bytes: Buffer, controlId: string): DeliveryResult {
  let code: string;
  let text: string;
  let acked: string;
  try {
    const decoded = decodeBytes(bytes);
    const ack = parseMessage(decoded.text, { charset: decoded.charset });
    code = ack.get('MSA-1');
    acked = ack.get('MSA-2');
    text = ack.get('MSA-3') || ack.get('ERR-8') || ack.get('ERR-3.2');
  } catch (err) {
    throw new SwitchboardError(
      'PEER_CONNECTION_LOST',
      err instanceof Hl7ParseError ? 'the peer answered with something that is not an HL7 ACK' : 'unreadable ACK',
    );
  }
  if (acked !== controlId) throw new SwitchboardError('PEER_CONNECTION_LOST', 'the ACK answers another message (MSA-2)');
  const summary = `${code}${text ? ` ${text.slice(0, 300)}` : ''}`;
  switch (code) {
    case 'AA':
    case 'CA':
      return { responseSummary: summary };
    case 'AE':
    case 'CE':
      throw new SwitchboardError('PEER_REJECTED', `the peer answered ${code}`, { peerResponse: summary });
    case 'AR':
    case 'CR':
      throw new SwitchboardError('PEER_UNAVAILABLE', `the peer answered ${code}`, { peerResponse: summary });
    default:
      throw new SwitchboardError('PEER_CONNECTION_LOST', `the ACK carries an unknown MSA-1 '${code.slice(0, 5)}'`, {
        peerResponse: summary,
      });
  }
}
