import net from 'node:net';
import { MllpFramer, frame } from '../../engine/mllp/framer.ts';

/** The floor: an MLLP server that answers every frame with one precomputed ACK (no parse, no storage). */
export function startEchoAckServer(): Promise<{ port: number; close(): Promise<void> }> {
  const ack = frame(Buffer.from('MSH|^~\\&|ERP|FINANCE|EPIC|GENHOSP|20260315083000||ACK^A01^ACK|1|P|2.5.1\rMSA|AA|1\r'));
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const framer = new MllpFramer(1 << 20);
    socket.on('data', (d) => {
      for (const e of framer.push(d)) if (e.kind === 'frame') socket.write(ack);
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) }),
    ),
  );
}
