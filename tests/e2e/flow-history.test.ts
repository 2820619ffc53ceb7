import test, { type ExecutionContext } from 'ava';
import { FlowStatus } from '../../engine/flows/flow-states.ts';
import { Store } from '../../engine/store/store.ts';
import type { FlowInstance } from '../../engine/store/flows.store.ts';
import { startFlowPeers, type FlowPeers } from '../../peers/flow-peers.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { freePort, sendUntilAcked } from '../support/careful-sender.ts';
import { spawnEngine, type EngineProcess } from '../support/engine-process.ts';
import { checkEffects, checkInstance, traceSteps, traffic } from '../support/flow-effects.ts';
import { procedureDft } from '../../peers/procedure-dft.ts';
import { waitFor } from '../support/harness.ts';
import { startPrivateMongo, startPrivateRedis, type PrivateMongo, type PrivateRedis } from '../support/services.ts';

const SENDERS = 5;
/** Each message has two charge lines, each an instance of the procedure flow: 50 instances. */
const PER_SENDER = 5;
const INSTANCES = SENDERS * PER_SENDER * 2;
/** One of each a message: 25 × 1 gauze leaves 5, the last 5 below 10; 25 × 2 sutures leave 50, the last 5 below 60. */
const ITEMS = [
  { item: 'GAUZE-10X10', stock: 30, reorderLevel: 10, quantity: 1 },
  { item: 'SUTURE-3-0', stock: 100, reorderLevel: 60, quantity: 2 },
];

/** Sender `s`'s message `n`: visit V<s>, one line of each item. */
const message = (s: number, n: number) => {
  const id = `FH${s}-${n}`;
  const lines = ITEMS.map((i) => ({ code: i.item, quantity: i.quantity, department: 'OR', performer: `DR-${s}` }));
  return { id, text: procedureDft(id, lines, `V${s}`) };
};

/**
 * The engine processes of the test by name: `ingest` (MLLP, on a fixed port so that a restart keeps
 * it) and `worker-0`, `worker-1`. A restart SIGKILLs the process, whatever it is in the middle of,
 * and starts its successor in the background, so the faults go on meanwhile.
 */
class Engines {
  private readonly running = new Map<string, Promise<EngineProcess>>();
  /** Every process started, killed ones included, for the log of a failure. */
  private readonly all: EngineProcess[] = [];
  /** Successors that did not start, for that log too. */
  private readonly unstarted: string[] = [];

  constructor(private readonly env: Record<string, string>) {}

  async start(): Promise<void> {
    for (const name of ['ingest', 'worker-0', 'worker-1']) await this.spawn(name);
  }

  async restart(name: string): Promise<void> {
    await (await this.running.get(name))?.kill('SIGKILL');
    void this.spawn(name).catch((err: unknown) => this.unstarted.push(`${name} did not start again: ${(err as Error).message}`));
  }

  private spawn(name: string): Promise<EngineProcess> {
    const started = spawnEngine({ ...this.env, SWITCHBOARD_ROLE: name === 'ingest' ? 'ingest' : 'worker' });
    this.running.set(name, started);
    return started.then((e) => (this.all.push(e), e));
  }

  /** The warnings and errors the processes logged (but lost connections: Redis is wiped), then the successors that did not start. */
  warnings(): string[] {
    const told = (l: string) => /"(warn|error)"/.test(l) && !l.includes('connection error');
    return [...this.all.flatMap((e) => e.lines).filter(told), ...this.unstarted];
  }

  async close(): Promise<void> {
    await Promise.all([...this.running.values()].map(async (e) => (await e.catch(() => undefined))?.kill()));
  }
}

/**
 * The faults, each once the work has reached a point (messages acknowledged, instances billed), so
 * that it strikes mid-flow however fast the host is: slow and failing peers (503s, hangs past the
 * step timeout, answers after it), each worker SIGKILLed with steps at the slowed inventory, Redis
 * wiped (every queued step and delayed retry lost), the ingest process SIGKILLed (the senders resend
 * what it did not acknowledge), the store paused (steps answered by their peer but not yet
 * recorded). Gives, for the log, how far the work was when each fault struck.
 */
async function chaos(
  engines: Engines,
  p: FlowPeers['procedure'],
  services: { redis: PrivateRedis; mongo: PrivateMongo },
  acked: Set<string>,
): Promise<string[]> {
  const seen: string[] = [];
  const billed = () => p.erp.postings().filter((b) => b.idempotencyKey.endsWith(':bill')).length;
  const when = async (fault: string, reached: () => boolean) => {
    await waitFor(`the work before "${fault}"`, reached, 60_000);
    seen.push(`${fault} at ${acked.size} acknowledged, ${billed()} billed`);
  };
  const slowInventory = () => p.inventory.setBehaviour({ mode: 'slow', delayMs: 400, jitterMs: 400, times: 8 });
  await when('worker-0 killed', () => acked.size >= 4);
  slowInventory();
  p.labour.setBehaviour({ mode: 'fail', status: 503, times: 4 });
  await pause(300);
  await engines.restart('worker-0');
  p.erp.setBehaviour({ mode: 'fail', status: 503, times: 4 });
  await when('Redis wiped', () => acked.size >= 10);
  await services.redis.wipeAndRestart();
  p.inventory.setBehaviour({ mode: 'hang', times: 2 });
  await when('ingest killed', () => acked.size >= 15);
  await engines.restart('ingest');
  // Labour answers after the step timed out: the work done, the attempt ambiguous, the retry answered from the key.
  p.labour.setBehaviour({ mode: 'slow', delayMs: 1500, times: 2 });
  p.procurement.setBehaviour({ mode: 'fail', status: 503, times: 2 });
  await when('store paused 2 s', () => billed() >= 10);
  await services.mongo.pause();
  await pause(2000);
  await services.mongo.resume();
  await when('worker-1 killed', () => billed() >= 25);
  slowInventory();
  await pause(300);
  await engines.restart('worker-1');
  return seen;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The procedure instances in the store once there are INSTANCES of them and all are completed (else it logs what is open). */
async function allCompleted(t: ExecutionContext, store: Store, engines: Engines): Promise<FlowInstance[]> {
  const list = () => store.flows.list({ flowId: 'procedure', limit: 1000 });
  try {
    return await waitFor(
      `${INSTANCES} flow instances completed`,
      async () => {
        const all = await list();
        return all.length === INSTANCES && all.every((i) => i.status === FlowStatus.completed) ? all : undefined;
      },
      120_000,
    );
  } catch (err) {
    const all = await list();
    const open = all.filter((i) => i.status !== FlowStatus.completed);
    const steps = (i: FlowInstance) =>
      Object.entries(i.steps).map(([id, st]) => `${id} ${st.status} ×${st.attempts} ${st.error?.code ?? ''}`);
    t.log(`${all.length} instances, ${open.length} open:`, JSON.stringify(open.slice(0, 5).map((i) => [i._id, i.status, steps(i)])));
    t.log(engines.warnings().slice(-20).join('\n'));
    throw err;
  }
}

/** The engines' settings: the private services, the fixed MLLP port, the peers for the channel's ERP and the flow's steps. */
function engineEnv(
  at: { redis: { url: string }; mongo: { url: string }; dbName: string },
  p: FlowPeers['procedure'],
  mllpPort: number,
): Record<string, string> {
  return {
    REDIS_URL: at.redis.url,
    MONGODB_URL: at.mongo.url,
    MONGODB_DB: at.dbName,
    QUEUE_PREFIX: uniqueName('sbq'),
    MLLP_PORT: String(mllpPort),
    FHIR_API_TOKEN: 'flow-history-token',
    ERP_BASE_URL: p.erp.url,
    FLOW_EHR_URL: p.encounters.url,
    FLOW_INVENTORY_URL: p.inventory.url,
    FLOW_PROCUREMENT_URL: p.procurement.url,
    FLOW_LABOUR_URL: p.labour.url,
    // A hung peer costs a step 1 s before its retry, not the default 10 s.
    FLOW_TIMEOUT_MS: '1000',
    RELAY_INTERVAL_MS: '200',
    RELAY_STALE_MS: '1000',
    STORE_TIMEOUT_MS: '1500',
  };
}

test('flow history under faults: every instance completes, each step takes effect once per key, never before what it needs', async (t) => {
  const redis = await startPrivateRedis({ name: 'flow-history' });
  const mongo = await startPrivateMongo({ name: 'flow-history' });
  const encounters = Array.from({ length: SENDERS }, (_, s) => ({ visitNumber: `V${s}`, status: 'in-progress' as const, class: 'I' }));
  const peers = await startFlowPeers({ encounters, items: ITEMS.map(({ quantity: _, ...i }) => i) });
  const p = peers.procedure;
  const mllpPort = await freePort();
  const dbName = uniqueName('sbflowhistory');
  const engines = new Engines(engineEnv({ redis, mongo, dbName }, p, mllpPort));
  const store = new Store({ url: mongo.url, dbName });
  // Registered before the engines start, so a failed start still stops the private services.
  t.teardown(async () => {
    await engines.close();
    await store.close();
    await peers.close();
    await redis.close();
    await mongo.close();
  });
  await engines.start();

  const acked = new Set<string>();
  const senders = Array.from({ length: SENDERS }, (_, s) =>
    sendUntilAcked(
      Array.from({ length: PER_SENDER }, (_, n) => message(s, n)),
      { port: () => mllpPort, acked, gapMs: 800 },
    ),
  );
  const [faults] = await Promise.all([chaos(engines, p, { redis, mongo }, acked), ...senders]);
  t.is(acked.size, SENDERS * PER_SENDER, 'every message was acknowledged in the end');

  await store.start();
  const instances = await allCompleted(t, store, engines);
  const trace = traceSteps(p);
  for (const i of instances) checkInstance(t, i, trace, p);
  checkEffects(t, instances, trace, p);
  for (const i of ITEMS) t.is(p.inventory.stock(i.item), i.stock - SENDERS * PER_SENDER * i.quantity, `${i.item}: consumed once per line`);
  t.log(faults.join('; '));
  t.log(traffic(p));
});
