import net from 'node:net';
import { MllpFramer, frame } from '../../connectors/mllp/mllp.framer.ts';
import { buildAck, decodeBytes, encodeText, readHeader } from '../../hl7v2/index.ts';

/** Answers one frame: the ACK bytes to write (already framed), or a promise of them. */
export type FrameHandler = (bytes: Buffer) => Buffer | Promise<Buffer>;

/**
 * An MLLP listener on 127.0.0.1 that answers each frame with `handler`, one frame at a time per
 * connection, in order (as the engine's MLLP source does). Resolves with the bound port.
 */
export function listenMllp(handler: FrameHandler): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const framer = new MllpFramer(2 << 20);
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (d) => {
      for (const e of framer.push(d)) {
        if (e.kind !== 'frame') continue;
        const answer = handler(e.bytes);
        if (Buffer.isBuffer(answer)) {
          socket.write(answer);
        } else {
          chain = chain.then(async () => void socket.write(await answer));
        }
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) }),
    ),
  );
}

const PRECOMPUTED = frame(Buffer.from('MSH|^~\\&|ERP|FINANCE|EPIC|GENHOSP|20260315083000||ACK^A01^ACK|1|P|2.5.1\rMSA|AA|1\r'));

/** Floor 1: one precomputed ACK for every frame (no parse; it names no control id). */
export const precomputedAck: FrameHandler = () => PRECOMPUTED;

let counter = 0;
/**
 * Floor 2: a real ACK from a header-only read, with the calls the engine's ACK path makes
 * (charset decode by MSH-18, header read, ACK build, encode, frame).
 */
export const realAck: FrameHandler = (bytes) => {
  const { text, charset } = decodeBytes(bytes, { defaultCharset: 'UNICODE UTF-8' });
  const header = readHeader(text);
  return frame(encodeText(buildAck({ header, code: 'AA', controlId: `E${(counter++).toString(36)}` }), charset));
};
