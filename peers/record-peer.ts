/**
 * A recording JSON peer on the http-peer base: `POST <path>` with the required fields stores a record and
 * answers 201 with its id (and what `compute` adds); `DELETE <path>/:id` cancels it (the compensation:
 * 204, 404 when unknown; a cancelled record stays listed, marked). Missing or empty required fields: 400
 * naming them; a body `validate` refuses: 400 saying why. The Idempotency-Key is required on the POST and
 * de-duplicates it (see http-peer.ts). The procurement, labour and workforce simulators are such peers.
 */
import { startHttpPeer, type HttpPeer } from './http-peer.ts';

export interface PeerRecord {
  id: string;
  body: Record<string, unknown>;
  /** What the answer carried besides the id and the status. */
  computed: Record<string, unknown>;
  status: 'created' | 'cancelled';
  key: string | undefined;
}

export interface RecordPeerSpec {
  name: string;
  /** The collection: `/reorder-requests`. */
  path: string;
  /** The answer's id field: `requestId`. */
  idField: string;
  /** Ids are `<prefix>-000001`, `<prefix>-000002`, … */
  idPrefix: string;
  /** Fields the body must have (not null, not ''). */
  required: string[];
  /** Further checks of a body that has the required fields: what is wrong (answered 400), or undefined. */
  validate?: (body: Record<string, unknown>) => string | undefined;
  /** Extra fields of the answer, from the body (an amount, a status). */
  compute?: (body: Record<string, unknown>) => Record<string, unknown>;
  port?: number;
  host?: string;
}

export interface RecordPeer extends HttpPeer {
  /** The records it stored, in order, cancelled ones included. */
  records(): PeerRecord[];
}

export async function startRecordPeer(spec: RecordPeerSpec): Promise<RecordPeer> {
  const records = new Map<string, PeerRecord>();
  const peer = await startHttpPeer({
    name: spec.name,
    port: spec.port,
    host: spec.host,
    routes: [
      {
        method: 'POST',
        path: spec.path,
        handler: ({ body, key }) => {
          const fields = isObject(body) ? body : {};
          const missing = spec.required.filter((f) => fields[f] === undefined || fields[f] === null || fields[f] === '');
          if (!isObject(body) || missing.length > 0) return { status: 400, body: { error: 'missing fields', fields: missing } };
          const invalid = spec.validate?.(body);
          if (invalid !== undefined) return { status: 400, body: { error: invalid } };
          const id = `${spec.idPrefix}-${String(records.size + 1).padStart(6, '0')}`;
          const computed = spec.compute?.(body) ?? {};
          records.set(id, { id, body, computed, status: 'created', key });
          return { status: 201, body: { [spec.idField]: id, status: 'created', ...computed } };
        },
      },
      {
        method: 'DELETE',
        path: `${spec.path}/:id`,
        handler: ({ params }) => {
          const record = records.get(params.id ?? '');
          if (!record) return { status: 404, body: { error: 'not found' } };
          record.status = 'cancelled';
          return { status: 204 };
        },
      },
    ],
  });
  return { ...peer, records: () => [...records.values()].map((r) => ({ ...r })) };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
