/**
 * Billing-system simulator: a small real MLLP server that records each message and answers with an
 * ACK whose code the test chooses (AA, AE, AR), or not at all ('silent'), for `times` messages.
 * With `tls` it speaks MLLP over TLS; with `tls.ca` as well, it requires a client certificate
 * signed by that CA (mutual TLS, refused in the handshake otherwise).
 */
import net from 'node:net';
import tls from 'node:tls';
import { MllpFramer, frame } from '../connectors/mllp/mllp.framer.ts';
import { buildAck, readHeader } from '../hl7v2/index.ts';

export type BillingBehaviour = { mode: 'AA' } | { mode: 'AE' | 'AR' | 'silent'; times: number; text?: string };

export interface BillingPeer {
  port: number;
  received(): string[];
  setBehaviour(b: BillingBehaviour): void;
  /** Closes every open connection (the listener stays): a peer restart seen from the client. */
  dropConnections(): void;
  /** Subjects of the client certificates of the connections it served (mutual TLS). */
  clientSubjects(): string[];
  close(): Promise<void>;
}

export async function startBillingPeer(opts: { tls?: { cert: string; key: string; ca?: string } } = {}): Promise<BillingPeer> {
  const messages: string[] = [];
  let behaviour: BillingBehaviour = { mode: 'AA' };
  const sockets = new Set<net.Socket>();
  const subjects: string[] = [];
  const onConnection = (socket: net.Socket) => {
    if (socket instanceof tls.TLSSocket) {
      const subject = socket.getPeerX509Certificate()?.subject;
      if (subject) subjects.push(subject);
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const framer = new MllpFramer(1 << 20);
    socket.on('data', (d) => {
      for (const e of framer.push(d)) {
        if (e.kind !== 'frame') continue;
        const text = e.bytes.toString('utf8');
        messages.push(text);
        const b = behaviour;
        if (b.mode !== 'AA' && b.times > 0) behaviour = b.times === 1 ? { mode: 'AA' } : { ...b, times: b.times - 1 };
        if (b.mode === 'silent') continue;
        const header = readHeader(text);
        const refusal = b.mode === 'AA' ? {} : { text: b.text ?? 'billing refused it', hl7ErrorCode: '207' };
        socket.write(frame(Buffer.from(buildAck({ header, code: b.mode, controlId: `B${messages.length}`, ...refusal }))));
      }
    });
  };
  const t = opts.tls;
  const server = t
    ? tls.createServer(
        { cert: t.cert, key: t.key, ...(t.ca ? { ca: t.ca, requestCert: true, rejectUnauthorized: true } : {}) },
        onConnection,
      )
    : net.createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => [...messages],
    setBehaviour: (b) => void (behaviour = b),
    dropConnections: () => sockets.forEach((s) => s.destroy()),
    clientSubjects: () => [...subjects],
    close: () =>
      new Promise((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}
