import net from 'node:net';
import { field, MllpTestClient } from './mllp-client.ts';

/** A port that was free a moment ago (bind to port 0, read it, close): for an engine restarted on the same MLLP port. */
export const freePort = (): Promise<number> =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** A message to send: its control id (MSH-10) and its text. */
export interface OutgoingMessage {
  id: string;
  text: string;
}

export interface SendOptions {
  /** The engine's MLLP port, read at each connect (the engine may have been restarted on another). */
  port: () => number;
  /** Where each acknowledged control id is added. */
  acked: Set<string>;
  /** Checked between messages: true gives up. */
  stop?: () => boolean;
  /** A pause after each acknowledged message, to spread the messages over time; default none. */
  gapMs?: number;
}

/**
 * Sends the messages in order over MLLP, resending each on an ACK timeout (3 s), an AE or a lost
 * connection until it gets AA, like a careful EHR.
 */
export async function sendUntilAcked(messages: readonly OutgoingMessage[], o: SendOptions): Promise<void> {
  const { port, acked, stop = () => false, gapMs = 0 } = o;
  let client: MllpTestClient | undefined;
  for (const m of messages) {
    if (stop()) break;
    for (;;) {
      try {
        client ??= await MllpTestClient.connect(port());
        const ack = await Promise.race([
          client.send(m.text),
          new Promise<string>((_, reject) => setTimeout(() => reject(new Error('ACK timeout')), 3000)),
        ]);
        if (field(ack, 'MSA', 1) === 'AA') break;
      } catch {
        client?.close();
        client = undefined;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    acked.add(m.id);
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  client?.close();
}
