import { Type, type TSchema, type SchemaOptions } from '@sinclair/typebox';

/**
 * Every canonical field carries a data class; a destination's data policy names the classes it may
 * receive and the engine removes the rest before its connector sees the payload.
 * - `direct-identifier`: identifies a person (name, birth date, address, phone, SSN, MRN).
 * - `clinical`: care facts (codes, classes, locations of care).
 * - `financial`: amounts, accounts, cost centers.
 * - `operational`: ids and times of the exchange itself.
 */
export const DataClass = {
  directIdentifier: 'direct-identifier',
  clinical: 'clinical',
  financial: 'financial',
  operational: 'operational',
} as const;
export type DataClass = (typeof DataClass)[keyof typeof DataClass];

type Opts = SchemaOptions & { dataClass: DataClass };
export const str = (dataClass: DataClass, o: SchemaOptions = {}) => Type.String({ ...o, dataClass } satisfies Opts);
export const num = (dataClass: DataClass, o: SchemaOptions = {}) => Type.Number({ ...o, dataClass } satisfies Opts);
export const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);
