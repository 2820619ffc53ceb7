import { createHmac } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import type { DataClass } from '../../transforms/canonical/data-class.ts';

/**
 * What a destination may receive. Default for every destination: clinical, financial and
 * operational fields, no identifiers, direct or indirect: a finance system gets no MRN, visit
 * (account) number, practitioner id or control id unless its policy names the class. A destination
 * that posts to patient accounts allows `indirect-identifier` (the demo channels' ERP does).
 * With `pseudonymise`, identifiers the model marks `pseudonym: true` (the patient MRN, the visit
 * number) are replaced by a keyed HMAC-SHA256 pseudonym (`pk_…`, stable per value and key) instead
 * of being removed, so a finance system can group by patient or visit without knowing whose it is.
 */
export interface DataPolicy {
  allow: readonly DataClass[];
  pseudonymise?: boolean;
}

export const DEFAULT_DATA_POLICY: DataPolicy = { allow: ['clinical', 'financial', 'operational'] };

/** The pseudonym of one identifier under `key` (PSEUDONYM_KEY). */
export function pseudonym(value: string, key: Buffer): string {
  return `pk_${createHmac('sha256', key).update(value, 'utf8').digest('base64url').slice(0, 32)}`;
}

/**
 * Returns a copy of `value` holding only the fields whose schema `dataClass` the policy allows.
 * Fields without a class inherit their parent's; a field with no class anywhere, or unknown to the
 * schema, is removed (fail closed). Objects left empty are removed too. Called by the delivery
 * worker before `send`; `key` is required when the policy pseudonymises.
 */
export function applyDataPolicy(schema: TSchema, value: unknown, policy: DataPolicy, key?: Buffer, inherited?: DataClass): unknown {
  const own = (schema as { dataClass?: DataClass }).dataClass ?? inherited;
  if (schema.type === 'object' && schema.properties && value && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(value as Record<string, unknown>)) {
      const childSchema = (schema.properties as Record<string, TSchema>)[k];
      if (!childSchema) continue;
      const kept = applyDataPolicy(childSchema, child, policy, key, own);
      if (kept !== undefined) out[k] = kept;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (schema.type === 'array' && schema.items && Array.isArray(value)) {
    return value.map((v) => applyDataPolicy(schema.items as TSchema, v, policy, key, own)).filter((v) => v !== undefined);
  }
  if (own !== undefined && policy.allow.includes(own)) return value;
  if (policy.pseudonymise && key && (schema as { pseudonym?: boolean }).pseudonym && typeof value === 'string')
    return pseudonym(value, key);
  return undefined;
}
