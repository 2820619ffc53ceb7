/**
 * Closed-loop MLLP load generator (one message in flight per connection, original mode), run as
 * its own process so it does not share the event loop of the server under test.
 * argv: <port> <connections> <durationMs> <runTag>. Prints one JSON line: { sent, acked, errors, latenciesMs: [p50, p99, max] }.
 */
import net from 'node:net';
import { MllpFramer, frame } from '../../engine/mllp/framer.ts';

const [port, connections, durationMs, tag] = [Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]), process.argv[5] ?? 'x'];
const deadline = Date.now() + durationMs;
const latencies: number[] = [];
let sent = 0;
let acked = 0;
let errors = 0;

function message(n: number): Buffer {
  return Buffer.from(
    `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|${tag}-${n}|P|2.5.1\rEVN|A01|20260315083000\r` +
      `PID|1||${100000 + (n % 5000)}^^^GENHOSP^MR||DOE^JANE^MARIE||19750412|F|||12 ELM ST^^SPRINGFIELD^IL^62701\r` +
      `PV1|1|I|4W^412^B^GENHOSP||||1234567^WELBY^MARCUS|||MED||||ADM|||1234567^WELBY^MARCUS|IN|V${n}\r`,
  );
}

async function connection(id: number): Promise<void> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.setNoDelay(true);
  await new Promise((r) => socket.once('connect', r));
  const framer = new MllpFramer(1 << 20);
  let resolveAck: (() => void) | undefined;
  socket.on('data', (d) => {
    for (const e of framer.push(d)) if (e.kind === 'frame') resolveAck?.();
  });
  let n = 0;
  while (Date.now() < deadline) {
    const start = performance.now();
    const ack = new Promise<void>((r) => (resolveAck = r));
    socket.write(frame(message(id * 10_000_000 + n++)));
    sent++;
    await ack;
    acked++;
    latencies.push(performance.now() - start);
  }
  socket.destroy();
}

await Promise.all(Array.from({ length: connections }, (_, i) => connection(i).catch(() => void errors++)));
latencies.sort((a, b) => a - b);
const q = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0).toFixed(2));
console.log(JSON.stringify({ sent, acked, errors, latenciesMs: [q(0.5), q(0.99), q(1)] }));
