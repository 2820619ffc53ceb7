import type { ChannelDefinition } from '../channel.ts';
import type { ConnectorRegistry } from '../connector.ts';

export const SECRET_MASK = '********';

/** One secret string in a channel definition, to read or replace in place. */
export interface SecretSlot {
  get(): unknown;
  set(value: string): void;
}

/**
 * Every secret string of `def`, as slots into `def` itself: the fields its source's and
 * destinations' connectors declare secret (dotted paths into their settings; a path naming an
 * array covers each element, as a FHIR source's `tokens`, and one naming a record each value, as
 * http-json's `headers`). Unknown kinds have none.
 */
export function secretSlots(def: ChannelDefinition, connectors: ConnectorRegistry): SecretSlot[] {
  const slots: SecretSlot[] = [];
  slotsIn(def.source, connectors.source(def.source.kind)?.secrets ?? [], slots);
  for (const d of def.destinations) slotsIn(d.config, connectors.destination(d.kind)?.secrets ?? [], slots);
  return slots;
}

function slotsIn(config: Record<string, unknown>, paths: readonly string[], slots: SecretSlot[]): void {
  for (const path of paths) {
    const keys = path.split('.');
    let node: Record<string, unknown> | undefined = config;
    for (const k of keys.slice(0, -1)) node = node?.[k] && typeof node[k] === 'object' ? (node[k] as Record<string, unknown>) : undefined;
    const last = keys.at(-1)!;
    const value = node?.[last];
    if (Array.isArray(value)) {
      value.forEach((_, i) => slots.push({ get: () => value[i], set: (v) => (value[i] = v) }));
    } else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      for (const k of Object.keys(record)) slots.push({ get: () => record[k], set: (v) => (record[k] = v) });
    } else if (node && value !== undefined) {
      const target = node;
      slots.push({ get: () => target[last], set: (v) => (target[last] = v) });
    }
  }
}

/**
 * A channel as the API shows it and the audit log records it: every secret masked (the fields its
 * connectors declare secret, such as a destination's client secret or a FHIR source's static
 * tokens), `${VAR}` references included, since even the name of a variable is none of a reader's
 * business. SMART clients' JWKS are public keys and stay.
 */
export function maskChannel(c: ChannelDefinition, connectors: ConnectorRegistry): ChannelDefinition {
  const copy = structuredClone(c);
  for (const slot of secretSlots(copy, connectors)) slot.set(SECRET_MASK);
  return copy;
}

/**
 * The inverse for a channel coming back from the console or a file: wherever it still holds the
 * mask, the value stored for the same place (so secrets round-trip without being shown).
 */
export function restoreMasked<T>(value: T, stored: unknown): T {
  if (value === SECRET_MASK && stored !== undefined) return stored as T;
  if (Array.isArray(value)) return value.map((v, i) => restoreMasked(v, Array.isArray(stored) ? stored[i] : undefined)) as T;
  if (value && typeof value === 'object') {
    const s = (stored && typeof stored === 'object' ? stored : {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, restoreMasked(v, s[k])])) as T;
  }
  return value;
}
