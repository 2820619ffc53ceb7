import type { TSchema } from '@sinclair/typebox';
import { ChargeEventV1 } from './charge-event.ts';
import { EncounterEventV1 } from './encounter-event.ts';
import { SupplyConsumptionEventV1 } from './supply-consumption-event.ts';
import { WorkforceEventV1 } from './workforce-event.ts';

/** The canonical models by name: what a transform makes, a channel routes and a connector declares it can send. */
export const CanonicalModelName = {
  EncounterEvent: 'EncounterEvent',
  ChargeEvent: 'ChargeEvent',
  SupplyConsumptionEvent: 'SupplyConsumptionEvent',
  WorkforceEvent: 'WorkforceEvent',
} as const;
export type CanonicalModelName = (typeof CanonicalModelName)[keyof typeof CanonicalModelName];

export function isCanonicalModelName(name: string): name is CanonicalModelName {
  return Object.values<string>(CanonicalModelName).includes(name);
}

/** Every canonical model by `<name>.v<version>`: the contract between clinical and finance sides. */
export const canonicalModels: ReadonlyMap<string, TSchema> = new Map<string, TSchema>([
  ['EncounterEvent.v1', EncounterEventV1],
  ['ChargeEvent.v1', ChargeEventV1],
  ['SupplyConsumptionEvent.v1', SupplyConsumptionEventV1],
  ['WorkforceEvent.v1', WorkforceEventV1],
]);

export function canonicalSchema(model: string, version: number): TSchema | undefined {
  return canonicalModels.get(`${model}.v${version}`);
}
