import type { ExecutionContext } from 'ava';
import procedure from '../../flows/procedure.flow.ts';
import type { FlowDefinition } from '../../engine/flows/flow-schema.ts';
import type { FlowInstance } from '../../engine/store/flows.store.ts';
import { DEMO_SEED, flowPeerEnv, startFlowPeers, type FlowPeers, type FlowPeersOptions } from '../../peers/flow-peers.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from './harness.ts';

/** The procedure flow with a fast retry on every step, for tests. */
export function fastProcedure(retry = { attempts: 4, initialDelayMs: 50, maxDelayMs: 300 }): FlowDefinition {
  return { ...procedure, steps: procedure.steps.map((s) => ({ ...s, retry })) };
}

/** Where the procedure flow's steps reach the development peers. */
export function procedureEnv(peers: FlowPeers): NodeJS.ProcessEnv {
  return { ...process.env, ...flowPeerEnv(peers) };
}

export interface ProcedureSetup {
  peers: FlowPeers;
  engine: TestEngine;
}

/**
 * The development peers (DEMO_SEED unless told) and an engine running the demo MLLP channel (its
 * ERP destination at the peers' ERP) with the procedure flow; both closed at the test's end.
 */
export async function startProcedure(
  t: ExecutionContext,
  o: { peers?: FlowPeersOptions; flow?: FlowDefinition; engine?: Partial<Parameters<typeof startTestEngine>[0]> } = {},
): Promise<ProcedureSetup> {
  const peers = await startFlowPeers(o.peers ?? DEMO_SEED);
  t.teardown(() => peers.close());
  const engine = await startTestEngine({
    channels: [testChannel({ erpUrl: peers.urls.procedure.erp })],
    flows: [o.flow ?? fastProcedure()],
    env: procedureEnv(peers),
    ...o.engine,
  });
  t.teardown(() => engine.close());
  return { peers, engine };
}

/** Waits until the engine holds `count` procedure instances, every one in `status`; gives them. */
export function instancesIn(engine: TestEngine, status: string, count: number, timeoutMs?: number): Promise<FlowInstance[]> {
  return waitFor(
    `${count} flow instances ${status}`,
    async () => {
      const all = await engine.engine.store!.flows.list({ flowId: 'procedure', limit: 1000 });
      return all.length === count && all.every((i) => i.status === status) ? all : undefined;
    },
    timeoutMs,
  );
}
