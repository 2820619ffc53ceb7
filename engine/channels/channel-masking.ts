import type { ChannelDefinition } from '../channel.ts';
import { findDestinationConnector } from '../../connectors/index.ts';

export const SECRET_MASK = '********';

/** A copy of `config` with each dotted `secrets` path replaced by SECRET_MASK where it is set. */
export function redactSecrets(config: Record<string, unknown>, secrets: readonly string[]): Record<string, unknown> {
  const out = structuredClone(config);
  for (const path of secrets) {
    const keys = path.split('.');
    let node: Record<string, unknown> | undefined = out;
    for (const k of keys.slice(0, -1)) node = node?.[k] && typeof node[k] === 'object' ? (node[k] as Record<string, unknown>) : undefined;
    const last = keys.at(-1)!;
    if (node && node[last] !== undefined) node[last] = SECRET_MASK;
  }
  return out;
}

/**
 * A channel as the API shows it and the audit log records it: every secret masked (a destination's
 * declared secret fields, a FHIR source's static tokens), `${VAR}` references included, since even
 * the name of a variable is none of a reader's business. SMART clients' JWKS are public keys and stay.
 */
export function maskChannel(c: ChannelDefinition): ChannelDefinition {
  return {
    ...c,
    source: c.source.kind === 'fhir' ? { ...c.source, tokens: (c.source.tokens ?? []).map(() => SECRET_MASK) } : c.source,
    destinations: c.destinations.map((d) => ({ ...d, config: redactSecrets(d.config, findDestinationConnector(d.kind)?.secrets ?? []) })),
  };
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
