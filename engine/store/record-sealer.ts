import { SwitchboardError } from '../errors.ts';
import type { Keyring, SearchHasher } from '../security/encryption.ts';
import type { CanonicalEvent, CanonicalRecord, DeliveryRecord, MessageRecord, MessageSummary } from './message-record.ts';
import type { MessageContent, MessageState } from './message-state.ts';

/**
 * The stored form of a record, and what encryption at rest (a keyring) and keyed search hashes
 * (a hasher) change in it.
 * - Always: the canonical events are stored as one value, UTF-8 JSON bytes (`canonical.packed`),
 *   not as nested fields. Nothing queries inside them, and FerretDB converts every nested field
 *   between BSON and PostgreSQL's JSONB (with a schema per field) on each read and write of the
 *   message: packed, a delivered message costs about a third less CPU (docs/performance.md).
 *   Records stored with nested `events` (before 12-02) are read as they are.
 * - Keyring: `raw`, the canonical events and the summary's MRN and control id are sealed
 *   (AES-256-GCM); `kid` beside the record names the key. Reads open them again.
 * - Hasher: the summary's MRN and control id, the de-duplication key and ordering keys are stored as
 *   keyed hashes, found by equality (`searchValue`); ordering keys and the content hash stay hashed
 *   when read (they are only compared). Without a hasher but with a keyring the MRN is sealed only, not searchable.
 * - Peers' answers kept with delivery attempts are sealed too (a peer may echo what it was sent):
 *   stored as `sealed:<base64>` in place of the text.
 */
const SEALED = 'sealed:';

/** Canonical events as the UTF-8 JSON bytes they are stored in (packed as they are, or sealed). */
const packEvents = (events: CanonicalEvent[]): Buffer => Buffer.from(JSON.stringify(events));
const unpackEvents = (bytes: Uint8Array): CanonicalEvent[] =>
  JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as CanonicalEvent[];

export class RecordSealer {
  constructor(private readonly o: { keyring?: Keyring; hasher?: SearchHasher } = {}) {}

  /** The key new records are sealed with; undefined when encryption is off. */
  get activeKeyId(): string | undefined {
    return this.o.keyring?.activeKeyId;
  }

  /** The stored form of a searchable value (MRN, control id, order key). */
  searchValue(value: string): string {
    return this.o.hasher ? this.o.hasher.hash(value) : value;
  }

  /**
   * The stored form of a search field's value (search-keys.ts): a keyed hash with a hasher; undefined
   * with a keyring alone (kept plain beside sealed content it would be PHI at rest; then the field is
   * not searchable, as the MRN); the value itself when neither is configured.
   */
  searchableValue(value: string): string | undefined {
    const { keyring, hasher } = this.o;
    return hasher ? hasher.hash(value) : keyring ? undefined : value;
  }

  seal(r: MessageRecord): MessageRecord {
    const { keyring, hasher } = this.o;
    const out: MessageRecord = r.canonical ? { ...r, canonical: this.canonical(r.canonical.events) } : { ...r };
    if (!keyring && !hasher) return out;
    out.deliveries = this.deliveries(r.deliveries);
    if (hasher) out.dedupeKey = hasher.hash(r.dedupeKey);
    if (hasher && r.contentHash) out.contentHash = hasher.hash(r.contentHash);
    if (r.summary) out.summary = this.summary(r.summary);
    if (keyring) {
      out.kid = keyring.activeKeyId;
      out.raw = keyring.seal(r.raw);
      if (r.summary) out.summarySealed = keyring.seal(Buffer.from(JSON.stringify({ mrn: r.summary.mrn, controlId: r.summary.controlId })));
    }
    return out;
  }

  /** The stored form of canonical events: packed, and sealed when encrypting. */
  canonical(events: CanonicalEvent[]): CanonicalRecord {
    const { keyring } = this.o;
    const json = packEvents(events);
    return keyring ? { events: [], sealed: keyring.seal(json) } : { events: [], packed: json };
  }

  deliveries(deliveries: Record<string, DeliveryRecord>): Record<string, DeliveryRecord> {
    const { hasher } = this.o;
    if (!hasher) return deliveries;
    return Object.fromEntries(
      Object.entries(deliveries).map(([id, d]) => [id, d.orderKey ? { ...d, orderKey: hasher.hash(d.orderKey) } : d]),
    );
  }

  /** An attempt or last error with the peer's answer sealed (when encrypting). */
  peerAnswer<T extends { response?: string }>(x: T): T {
    const { keyring } = this.o;
    return keyring && x.response !== undefined
      ? { ...x, response: `${SEALED}${keyring.seal(Buffer.from(x.response)).toString('base64')}` }
      : x;
  }

  /** A value the engine keeps for later (a flow step's output) as JSON text, sealed when encrypting. */
  sealValue(value: unknown): string {
    const { keyring } = this.o;
    const json = JSON.stringify(value);
    return keyring ? `${SEALED}${keyring.seal(Buffer.from(json)).toString('base64')}` : json;
  }

  /** The value sealValue stored. */
  openValue(stored: string): unknown {
    const { keyring } = this.o;
    if (!stored.startsWith(SEALED)) return JSON.parse(stored) as unknown;
    if (!keyring) throw new SwitchboardError('CONFIG_INVALID', 'a stored value is sealed: configure ENCRYPTION_KEYS');
    return JSON.parse(keyring.open(Buffer.from(stored.slice(SEALED.length), 'base64')).toString('utf8')) as unknown;
  }

  private openAnswer<T extends { response?: string }>(x: T): T {
    const { keyring } = this.o;
    return keyring && x.response?.startsWith(SEALED)
      ? { ...x, response: keyring.open(Buffer.from(x.response.slice(SEALED.length), 'base64')).toString('utf8') }
      : x;
  }

  private summary(s: MessageSummary): MessageSummary {
    const { keyring, hasher } = this.o;
    const hide = (v: string) => (hasher ? hasher.hash(v) : keyring ? '' : v);
    return { ...s, mrn: hide(s.mrn), controlId: hasher ? hasher.hash(s.controlId) : s.controlId };
  }

  /** A stored record as the engine uses it (every field the projection returned, opened). */
  open<T extends Partial<MessageRecord>>(doc: T): T {
    const { keyring } = this.o;
    const packed = doc.canonical?.packed;
    const unpacked = packed ? { ...doc, canonical: { events: unpackEvents(packed) } } : doc;
    if (!doc.kid || !keyring) return unpacked;
    const out = { ...unpacked };
    if (doc.raw) out.raw = keyring.open(doc.raw);
    if (doc.canonical?.sealed) out.canonical = { events: unpackEvents(keyring.open(doc.canonical.sealed)) };
    if (doc.summary && doc.summarySealed)
      out.summary = {
        ...doc.summary,
        ...(JSON.parse(keyring.open(doc.summarySealed).toString('utf8')) as Pick<MessageSummary, 'mrn' | 'controlId'>),
      };
    delete out.summarySealed;
    if (doc.deliveries) {
      out.deliveries = Object.fromEntries(
        Object.entries(doc.deliveries).map(([id, d]) => [
          id,
          {
            ...d,
            attempts: d.attempts.map((a) => this.openAnswer(a)),
            ...(d.lastError ? { lastError: this.openAnswer(d.lastError) } : {}),
          },
        ]),
      );
    }
    return out;
  }

  /** Re-seals a message's content under the active key (rotation); undefined when it is already under it. */
  reseal(doc: MessageContent): Partial<MessageContent> | undefined {
    const { keyring } = this.o;
    if (!keyring || !doc.kid || doc.kid === keyring.activeKeyId) return undefined;
    const open = this.open(doc);
    const set: Partial<MessageContent> = { kid: keyring.activeKeyId, raw: keyring.seal(open.raw) };
    if (open.canonical) set.canonical = this.canonical(open.canonical.events);
    if (open.summary)
      set.summarySealed = keyring.seal(Buffer.from(JSON.stringify({ mrn: open.summary.mrn, controlId: open.summary.controlId })));
    return set;
  }

  /**
   * Re-seals the peers' answers of a message's state under the active key (rotation); undefined when
   * it is already under it. The deliveries are written whole: run rotation when deliveries are quiet
   * (see MaintenanceStore.resealAll).
   */
  resealState(state: MessageState): Pick<MessageState, 'kid' | 'deliveries'> | undefined {
    const { keyring } = this.o;
    if (!keyring || !state.kid || state.kid === keyring.activeKeyId) return undefined;
    const open = this.open(state);
    const deliveries = Object.fromEntries(
      Object.entries(open.deliveries).map(([id, d]) => [
        id,
        { ...d, attempts: d.attempts.map((a) => this.peerAnswer(a)), ...(d.lastError ? { lastError: this.peerAnswer(d.lastError) } : {}) },
      ]),
    );
    return { kid: keyring.activeKeyId, deliveries };
  }
}
