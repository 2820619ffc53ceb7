import type { TSchema } from '@sinclair/typebox';
import type { DataClass } from '../../transforms/canonical/data-class.ts';

/** What a destination may receive. Default for every destination: everything but direct identifiers. */
export interface DataPolicy {
  allow: readonly DataClass[];
}

export const DEFAULT_DATA_POLICY: DataPolicy = { allow: ['clinical', 'financial', 'operational'] };

/**
 * Returns a copy of `value` holding only the fields whose schema `dataClass` the policy allows.
 * Fields without a class inherit their parent's; a field with no class anywhere is removed (fail
 * closed). Objects left empty are removed too. Called by the delivery worker before `send`.
 */
export function applyDataPolicy(schema: TSchema, value: unknown, policy: DataPolicy, inherited?: DataClass): unknown {
  const own = (schema as { dataClass?: DataClass }).dataClass ?? inherited;
  if (schema.type === 'object' && schema.properties && value && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const childSchema = (schema.properties as Record<string, TSchema>)[key];
      if (!childSchema) continue;
      const kept = applyDataPolicy(childSchema, child, policy, own);
      if (kept !== undefined) out[key] = kept;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (schema.type === 'array' && schema.items && Array.isArray(value)) {
    return value.map((v) => applyDataPolicy(schema.items as TSchema, v, policy, own)).filter((v) => v !== undefined);
  }
  return own !== undefined && policy.allow.includes(own) ? value : undefined;
}
