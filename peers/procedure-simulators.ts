/**
 * The procedure flow's smaller peers, besides inventory (inventory-simulator.ts) and billing (the MLLP
 * billing peer and the ERP simulator):
 * - the EHR encounter lookup: `GET /encounters/:visitNumber` answers 200 with the seeded encounter (its
 *   status and class among its fields), 404 when unknown;
 * - procurement: `POST /reorder-requests` `{ item, quantity, location }` → 201 `{ requestId, status }`
 *   (quantity a number above 0);
 * - labour costing: `POST /allocations` `{ performer, durationMinutes, costCenter }` → 201
 *   `{ allocationId, status, amount, currency }`, the amount being the hours at the performer's rate
 *   (durationMinutes a number above 0).
 * Both POSTs are record peers (record-peer.ts: `DELETE <path>/:id` cancels, Idempotency-Key required).
 */
import { startHttpPeer, type HttpPeer } from './http-peer.ts';
import { startRecordPeer, type RecordPeer } from './record-peer.ts';

export interface Encounter {
  visitNumber: string;
  status: 'planned' | 'arrived' | 'in-progress' | 'finished' | 'cancelled';
  /** The HL7 patient class or FHIR encounter class: `I`, `O`, `E`, `AMB`… */
  class: string;
  [field: string]: unknown;
}

export interface EncounterSimulator extends HttpPeer {
  /** Adds or replaces an encounter. */
  seed(encounter: Encounter): void;
}

export interface PeerPlace {
  port?: number;
  host?: string;
}

export async function startEncounterSimulator(opts: PeerPlace & { encounters?: Encounter[] } = {}): Promise<EncounterSimulator> {
  const encounters = new Map<string, Encounter>();
  const seed = (e: Encounter) => void encounters.set(e.visitNumber, { ...e });
  for (const e of opts.encounters ?? []) seed(e);
  const peer = await startHttpPeer({
    name: 'EHR encounter simulator',
    port: opts.port,
    host: opts.host,
    routes: [
      {
        method: 'GET',
        path: '/encounters/:visitNumber',
        handler: ({ params }) => {
          const e = encounters.get(params.visitNumber ?? '');
          return e ? { status: 200, body: { ...e } } : { status: 404, body: { error: 'unknown encounter' } };
        },
      },
    ],
  });
  return { ...peer, seed };
}

export function startProcurementSimulator(opts: PeerPlace = {}): Promise<RecordPeer> {
  return startRecordPeer({
    ...opts,
    name: 'procurement simulator',
    path: '/reorder-requests',
    idField: 'requestId',
    idPrefix: 'REQ',
    required: ['item', 'quantity', 'location'],
    validate: (body) => positive(body.quantity, 'quantity'),
  });
}

export interface LabourOptions extends PeerPlace {
  /** Hourly rate by performer id; others cost `defaultRate` (120). */
  rates?: Record<string, number>;
  defaultRate?: number;
  /** Default EUR. */
  currency?: string;
}

export function startLabourSimulator(opts: LabourOptions = {}): Promise<RecordPeer> {
  const rate = (performer: unknown) => (typeof performer === 'string' ? opts.rates?.[performer] : undefined) ?? opts.defaultRate ?? 120;
  return startRecordPeer({
    port: opts.port,
    host: opts.host,
    name: 'labour costing simulator',
    path: '/allocations',
    idField: 'allocationId',
    idPrefix: 'ALLOC',
    required: ['performer', 'durationMinutes', 'costCenter'],
    validate: (body) => positive(body.durationMinutes, 'durationMinutes'),
    compute: (body) => ({
      amount: Math.round((Number(body.durationMinutes) / 60) * rate(body.performer) * 100) / 100,
      currency: opts.currency ?? 'EUR',
    }),
  });
}

function positive(value: unknown, field: string): string | undefined {
  return typeof value === 'number' && value > 0 ? undefined : `${field} must be a number above 0`;
}
