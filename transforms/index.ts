import { adtToEncounter } from './hl7v2/adt.to-encounter.ts';
import { dftToCharges } from './hl7v2/dft.to-charges.ts';
import type { CompiledTransform } from './transform.ts';

/** Every shipped transform, by id. Channels name transforms by these ids. */
export const transforms: ReadonlyMap<string, CompiledTransform> = new Map(
  [adtToEncounter, dftToCharges].map((t) => [t.id, t]),
);
