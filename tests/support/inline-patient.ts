/**
 * One patient's ADT^A01, DFT^P03 and ADT^A40, written here so that PHI checks run (and can fail)
 * whether or not ../shared exists. The values are made up and rare enough not to match by chance.
 */

/** The patient's direct identifiers as written in the messages, and as the models would carry them. */
export const INLINE_DIRECT = [
  'QX7731904',
  '556201187',
  'QUIMBLEWORTH',
  'HORTENSIA',
  '19580213',
  '1958-02-13',
  '4417 LARKSPUR LN',
  'ZANESVILLE',
  '(740)555-0183',
  '556-20-1187',
  'BARNABY',
  'QX7700012',
];

/** Indirect identifiers of the messages: the visit (account) number and the control ids. */
export const INLINE_INDIRECT = ['VQ88123', 'PHIA01', 'PHIP03', 'PHIA40'];

/** The three messages (HL7 text, segments ended by CR), in the order to send them. */
export function inlinePatientMessages(): string[] {
  const msh = (type: string, id: string) => `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||${type}|${id}|P|2.5.1`;
  const pid = [
    'PID',
    '1',
    '',
    'QX7731904^^^GENHOSP^MR~556201187^^^SSA^SS',
    '',
    'QUIMBLEWORTH^HORTENSIA^J',
    '',
    '19580213',
    'F',
    '',
    '',
    '4417 LARKSPUR LN^^ZANESVILLE^OH^43701',
    '',
    '(740)555-0183',
    '',
    '',
    '',
    '',
    'VQ88123',
    '556-20-1187',
  ].join('|');
  const pv1 = `PV1|1|I|4W^412^B^GENHOSP${'|'.repeat(16)}VQ88123`;
  return [
    [msh('ADT^A01^ADT_A01', 'PHIA01'), 'EVN|A01|20260315083000', pid, 'NK1|1|QUIMBLEWORTH^BARNABY|SPO', pv1],
    [
      msh('DFT^P03^DFT_P03', 'PHIP03'),
      'EVN|P03|20260315090000',
      pid,
      pv1,
      'FT1|1|||20260315090000||CG|27447^KNEE ARTHROPLASTY^CPT|||1|1250.00^USD',
    ],
    [msh('ADT^A40^ADT_A39', 'PHIA40'), 'EVN|A40|20260315100000', pid, 'MRG|QX7700012^^^GENHOSP^MR', pv1],
  ].map((segments) => segments.join('\r') + '\r');
}
