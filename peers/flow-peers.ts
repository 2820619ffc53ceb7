/**
 * Every development peer of the two process-flow scenarios (issue 24), started together on free ports:
 * - procedure: the EHR encounter lookup, inventory, procurement, labour costing, and billing both as the MLLP
 *   billing peer and as the ERP simulator (REST);
 * - onboarding: SCIM identity, scheduling, payroll, cost-center assignment, credentialing, ERP approval hierarchy.
 * The demo and the tests use `startFlowPeers()`; run directly (`node --import tsx peers/flow-peers.ts`) it starts
 * them with a small demo seed and prints their URLs until SIGINT/SIGTERM.
 */
import { pathToFileURL } from 'node:url';
import { startBillingPeer, type BillingPeer } from './billing-mllp-peer.ts';
import { startErpSimulator, type ErpSimulator } from './erp-simulator.ts';
import { startInventorySimulator, type InventoryItem, type InventorySimulator } from './inventory-simulator.ts';
import {
  startEncounterSimulator,
  startLabourSimulator,
  startProcurementSimulator,
  type Encounter,
  type EncounterSimulator,
  type LabourOptions,
} from './procedure-simulators.ts';
import type { RecordPeer } from './record-peer.ts';
import { startScimIdentitySimulator, type ScimIdentitySimulator } from './scim-identity-simulator.ts';
import { startWorkforceSimulator } from './workforce-simulators.ts';

export interface FlowPeers {
  procedure: {
    encounters: EncounterSimulator;
    inventory: InventorySimulator;
    procurement: RecordPeer;
    labour: RecordPeer;
    billingMllp: BillingPeer;
    erp: ErpSimulator;
  };
  onboarding: {
    identity: ScimIdentitySimulator;
    scheduling: RecordPeer;
    payroll: RecordPeer;
    costCenter: RecordPeer;
    credentialing: RecordPeer;
    approval: RecordPeer;
  };
  /** Base URL of each peer by scenario and name; the MLLP billing peer as `mllp://127.0.0.1:<port>`. */
  urls: { procedure: Record<keyof FlowPeers['procedure'], string>; onboarding: Record<keyof FlowPeers['onboarding'], string> };
  /** Closes every peer. */
  close(): Promise<void>;
}

export interface FlowPeersOptions {
  encounters?: Encounter[];
  items?: InventoryItem[];
  labour?: Omit<LabourOptions, 'port' | 'host'>;
}

/** A small seed for the demo: two encounters and three items, one of them near its reorder level. */
export const DEMO_SEED: Required<Pick<FlowPeersOptions, 'encounters' | 'items'>> = {
  encounters: [
    { visitNumber: 'V1001', status: 'in-progress', class: 'I' },
    { visitNumber: 'V1002', status: 'finished', class: 'O' },
  ],
  items: [
    { item: 'SUTURE-3-0', stock: 40, reorderLevel: 10 },
    { item: 'GAUZE-10X10', stock: 12, reorderLevel: 10 },
    { item: 'HIP-IMPLANT-M', stock: 3, reorderLevel: 2 },
  ],
};

/**
 * The settings that point the shipped flows' steps (flows/*.flow.ts) at these peers: the FLOW_*_URL
 * variables, and ERP_BASE_URL at the ERP simulator (billing, and the demo channel's destination).
 */
export function flowPeerEnv(peers: Pick<FlowPeers, 'urls'>): Record<string, string> {
  const p = peers.urls.procedure;
  const o = peers.urls.onboarding;
  return {
    FLOW_EHR_URL: p.encounters,
    FLOW_INVENTORY_URL: p.inventory,
    FLOW_PROCUREMENT_URL: p.procurement,
    FLOW_LABOUR_URL: p.labour,
    ERP_BASE_URL: p.erp,
    FLOW_IDENTITY_URL: o.identity,
    FLOW_SCHEDULING_URL: o.scheduling,
    FLOW_PAYROLL_URL: o.payroll,
    FLOW_COSTCENTER_URL: o.costCenter,
    FLOW_CREDENTIALING_URL: o.credentialing,
    FLOW_APPROVAL_URL: o.approval,
  };
}

/** Starts every peer; if one fails to start, the others are closed and the error is thrown. */
export async function startFlowPeers(opts: FlowPeersOptions = {}): Promise<FlowPeers> {
  const started: { close(): Promise<void> }[] = [];
  const track = async <T extends { close(): Promise<void> }>(p: Promise<T>): Promise<T> => {
    const peer = await p;
    started.push(peer);
    return peer;
  };
  const closeAll = async () => void (await Promise.all(started.map((p) => p.close())));
  try {
    const [encounters, inventory, procurement, labour, billingMllp, erp] = await Promise.all([
      track(startEncounterSimulator({ encounters: opts.encounters })),
      track(startInventorySimulator({ items: opts.items })),
      track(startProcurementSimulator()),
      track(startLabourSimulator(opts.labour)),
      track(startBillingPeer()),
      track(startErpSimulator({ port: 0 })),
    ]);
    const [identity, scheduling, payroll, costCenter, credentialing, approval] = await Promise.all([
      track(startScimIdentitySimulator()),
      track(startWorkforceSimulator('scheduling')),
      track(startWorkforceSimulator('payroll')),
      track(startWorkforceSimulator('costCenter')),
      track(startWorkforceSimulator('credentialing')),
      track(startWorkforceSimulator('approval')),
    ]);
    const onboarding = { identity, scheduling, payroll, costCenter, credentialing, approval };
    const urls = {
      procedure: {
        encounters: encounters.url,
        inventory: inventory.url,
        procurement: procurement.url,
        labour: labour.url,
        billingMllp: `mllp://127.0.0.1:${billingMllp.port}`,
        erp: erp.url,
      },
      onboarding: Object.fromEntries(Object.entries(onboarding).map(([k, p]) => [k, p.url])) as FlowPeers['urls']['onboarding'],
    };
    return { procedure: { encounters, inventory, procurement, labour, billingMllp, erp }, onboarding, urls, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const peers = await startFlowPeers(DEMO_SEED);
  for (const [scenario, urls] of Object.entries(peers.urls)) {
    console.log(`${scenario}:`);
    for (const [name, url] of Object.entries(urls)) console.log(`  ${name.padEnd(14)} ${url}`);
  }
  const stop = () => void peers.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
