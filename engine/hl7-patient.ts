import type { Hl7Message } from '../hl7v2/index.ts';

/**
 * The patient's medical record number: the first PID-3 repetition whose identifier type (CX.5,
 * HL7 table 0203) is MR, else the first repetition. Used by intake (search summary) and transforms.
 */
export function medicalRecordNumber(message: Hl7Message): string {
  const count = Math.max(1, message.repetitionCount('PID-3'));
  for (let r = 1; r <= count; r++) {
    if (message.get(`PID-3[${r}].5`) === 'MR') return message.get(`PID-3[${r}].1`);
  }
  return message.get('PID-3[1].1');
}
