import { createContext } from './bench/lib/context.ts';
import { withEngine } from './bench/engine/engine-session.ts';
import { openLoopRun } from './bench/suites/end-to-end.ts';
const ctx = createContext({ quick: false, mongoUrl: process.env.MONGODB_URL!, redisUrl: process.env.REDIS_URL! });
await withEngine(ctx, { label: 'dbg', role: 'all' }, async (s) => {
  const { row } = await openLoopRun(ctx, s, { rate: 100, seconds: 15, drainMs: 20000, ackDrainMs: 10000 });
  console.log(JSON.stringify({ ack: row.ackMs, e2e: row.endToEndMs, delivered: row.delivered, expected: row.expected }));
});
