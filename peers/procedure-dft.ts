/**
 * What the EHR sends for a procedure (the procedure flow's trigger, flows/procedure.flow.ts): for the
 * flow tests, the flows benchmark and a hand-run demo.
 */

/** One FT1 line of a procedure's DFT^P03. */
export interface ProcedureLine {
  code: string;
  quantity: number;
  department: string;
  performer: string;
  amount?: string;
}

/**
 * A DFT^P03 of a procedure at visit `visit`: one FT1 per line (code FT1-7, quantity FT1-10, amount
 * FT1-11, department FT1-13, performer FT1-20) and the site's ZFT (cost center), each FT1 a
 * ChargeEvent that starts the procedure flow.
 */
export function procedureDft(id: string, lines: readonly ProcedureLine[], visit = 'V1001'): string {
  const ft1 = lines.map((l, i) => {
    const [code, amount] = [`${l.code}^${l.code}^local`, `${l.amount ?? '150.00'}^EUR`];
    return `FT1|${i + 1}|||20260401080000||CG|${code}|||${l.quantity}|${amount}||${l.department}|||||||${l.performer}`;
  });
  return [
    `MSH|^~\\&|EHR|GENERAL|ERP|FINANCE|20260401090000||DFT^P03|${id}|P|2.5.1`,
    'EVN|P03|20260401090000',
    `PID|1||M${id}^^^GENERAL^MR||DOE^JANE`,
    `PV1|1|I${'|'.repeat(17)}${visit}`,
    ...ft1,
    // The site's Z-segment: the cost center labour is allocated to (ZFT-2) and the GL account (ZFT-3).
    'ZFT|1|CC-SURG|GL-6100',
  ].join('\r');
}
