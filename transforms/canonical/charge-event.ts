import { Type, type Static } from '@sinclair/typebox';
import { str, num, opt } from './data-class.ts';
import { SourceRef } from './source-ref.ts';

/**
 * ChargeEvent v1: one charge line. From HL7v2 DFT^P03 FT1 segments (one event per FT1) and FHIR
 * ChargeItem. Amounts are decimal numbers in `currency`; `amount` is the line's extended amount.
 */
export const ChargeEventV1 = Type.Object(
  {
    lineNumber: opt(num('operational', { description: 'FT1-1, the line in its transaction' })),
    transactionType: str('financial', { description: 'FT1-6, HL7 table 0017 (CG charge, CD credit …); CG for a billable ChargeItem' }),
    code: str('financial', { description: 'FT1-7.1 / ChargeItem.code' }),
    codeSystem: str('financial', { description: 'canonical system URI, e.g. http://www.ama-assn.org/go/cpt' }),
    description: opt(str('financial')),
    quantity: num('financial'),
    amount: opt(Type.Object({ value: num('financial'), currency: str('financial') })),
    serviceDate: str('financial', { description: 'FT1-4 transaction date, ISO 8601' }),
    department: opt(str('financial', { description: 'FT1-13.1 department code' })),
    costCenter: opt(str('financial', { description: 'site Z-segment (ZFT-2) when present' })),
    glAccount: opt(str('financial', { description: 'site Z-segment (ZFT-3) when present' })),
    performerId: opt(str('indirect-identifier', { description: 'FT1-20.1 performed-by id' })),
    encounter: Type.Object({
      visitNumber: str('indirect-identifier', {
        pseudonym: true,
        description: 'PV1-19.1 visit (account) number, or its keyed pseudonym when the destination pseudonymises',
      }),
      patientClass: opt(str('clinical')),
    }),
    patient: Type.Object({
      mrn: str('direct-identifier', { pseudonym: true, description: 'MRN, or its keyed pseudonym when the destination pseudonymises' }),
    }),
    source: SourceRef,
  },
  {
    $id: 'ChargeEvent.v1',
    title: 'ChargeEvent',
    version: 1,
    description: 'One charge line. From HL7v2 DFT^P03 FT1 segments (one event per FT1) and FHIR ChargeItem.',
  },
);
export type ChargeEventV1 = Static<typeof ChargeEventV1>;
