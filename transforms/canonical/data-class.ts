import { Type, type TSchema, type SchemaOptions } from '@sinclair/typebox';

/**
 * Every canonical field carries a data class; a destination's data policy names the classes it may
 * receive and the engine removes the rest before its connector sees the payload. Users without the
 * PHI permission see the PHI classes masked (both identifier classes and `clinical`; isPhi in
 * engine/security/masking.ts), in every view of a message.
 * - `direct-identifier`: identifies a person (name, birth date, address, phone, SSN, MRN).
 * - `indirect-identifier`: a number that leads to a person through the hospital's records: the
 *   visit (account) number, a practitioner's id, the id of the message or resource that carried it.
 * - `clinical`: care facts (codes, classes, locations of care).
 * - `financial`: amounts, accounts, cost centers.
 * - `operational`: what the exchange is and when (event types, times, item and role codes, sending systems).
 */
export const DataClass = {
  directIdentifier: 'direct-identifier',
  indirectIdentifier: 'indirect-identifier',
  clinical: 'clinical',
  financial: 'financial',
  operational: 'operational',
} as const;
export type DataClass = (typeof DataClass)[keyof typeof DataClass];

/** Whether a class identifies a person, directly or through the hospital's records (masked without the PHI permission). */
export function identifiesAPerson(c: DataClass): boolean {
  switch (c) {
    case DataClass.directIdentifier:
    case DataClass.indirectIdentifier:
      return true;
    case DataClass.clinical:
    case DataClass.financial:
    case DataClass.operational:
      return false;
    default:
      return c satisfies never;
  }
}

type Opts = SchemaOptions & { dataClass: DataClass };
export const str = (dataClass: DataClass, o: SchemaOptions = {}) => Type.String({ ...o, dataClass } satisfies Opts);
export const num = (dataClass: DataClass, o: SchemaOptions = {}) => Type.Number({ ...o, dataClass } satisfies Opts);
export const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

/** One leaf field of a model: its dotted path, its class (own or inherited) and whether it may be pseudonymised. */
export interface ClassifiedField {
  path: string;
  dataClass: DataClass | undefined;
  pseudonym: boolean;
}

/** Every leaf field of a model schema with its data class, in declaration order (docs and tests derive from it). */
export function classifiedFields(schema: TSchema, prefix = '', inherited?: DataClass): ClassifiedField[] {
  const own = (schema as { dataClass?: DataClass }).dataClass ?? inherited;
  if (schema.type === 'object' && schema.properties) {
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([k, child]) =>
      classifiedFields(child, prefix ? `${prefix}.${k}` : k, own),
    );
  }
  if (schema.type === 'array' && schema.items) return classifiedFields(schema.items as TSchema, prefix, own);
  return [{ path: prefix, dataClass: own, pseudonym: (schema as { pseudonym?: boolean }).pseudonym === true }];
}
