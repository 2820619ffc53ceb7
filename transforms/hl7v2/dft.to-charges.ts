import { defineTransform, hl7DateTime, optional, required } from '../transform.ts';
import { ChargeEventV1, type ChargeEventV1 as Charge } from '../canonical/charge-event.ts';
import { hl7SourceRef } from './source-ref.ts';
import { medicalRecordNumber } from '../../engine/hl7-patient.ts';

/** HL7 coding system names (table 0396) to canonical system URIs. */
const CODE_SYSTEMS: Record<string, string> = {
  CPT: 'http://www.ama-assn.org/go/cpt',
  C4: 'http://www.ama-assn.org/go/cpt',
  HCPCS: 'urn:oid:2.16.840.1.113883.6.285',
  HCPT: 'urn:oid:2.16.840.1.113883.6.285',
  LN: 'http://loinc.org',
};

/**
 * DFT^P03 → one ChargeEvent v1 per FT1 segment, in order (HL7 v2.5.1 ch. 6, FT1).
 * FT1-4 date, FT1-6 type, FT1-7 code^text^system, FT1-10 quantity, FT1-11 extended amount^currency,
 * FT1-13 department, FT1-20 performer; cost center and GL account from the site segment ZFT-2/ZFT-3.
 */
export const dftToCharges = defineTransform({
  id: 'hl7v2.dft-to-charges',
  version: 1,
  model: 'ChargeEvent',
  modelVersion: 1,
  accepts: ['DFT^P03'],
  schema: ChargeEventV1,
  map(message, ctx) {
    const source = hl7SourceRef(message, ctx);
    const encounter = {
      visitNumber: optional(message, 'PV1-19.1') ?? required(message, 'PID-18.1', 'encounter.visitNumber'),
      ...(optional(message, 'PV1-2') ? { patientClass: message.get('PV1-2') } : {}),
    };
    const patient = { mrn: medicalRecordNumber(message) };
    const costCenter = optional(message, 'ZFT-2');
    const glAccount = optional(message, 'ZFT-3');
    const count = message.segments('FT1').length;
    const events: Charge[] = [];
    for (let n = 1; n <= count; n++) {
      const at = (f: string) => `FT1(${n})-${f}`;
      const system = optional(message, at('7.3'));
      const quantity = Number(optional(message, at('10')) ?? '1');
      const amount = optional(message, at('11.1'));
      events.push({
        lineNumber: Number(optional(message, at('1')) ?? n),
        transactionType: required(message, at('6'), 'transactionType'),
        code: required(message, at('7.1'), 'code'),
        codeSystem: system ? (CODE_SYSTEMS[system] ?? `urn:hl7v2:0396:${system}`) : 'urn:hl7v2:0396:local',
        ...(optional(message, at('7.2')) ? { description: message.get(at('7.2')) } : {}),
        quantity,
        ...(amount ? { amount: { value: Number(amount), currency: optional(message, at('11.2')) ?? 'USD' } } : {}),
        serviceDate: hl7DateTime(required(message, at('4'), 'serviceDate'), 'serviceDate'),
        ...(optional(message, at('13.1')) ? { department: message.get(at('13.1')) } : {}),
        ...(costCenter ? { costCenter } : {}),
        ...(glAccount ? { glAccount } : {}),
        ...(optional(message, at('20.1')) ? { performerId: message.get(at('20.1')) } : {}),
        encounter,
        patient,
        source,
      });
    }
    return events;
  },
});
