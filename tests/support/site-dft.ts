import type { ChannelDefinition } from '../../engine/channel.ts';
import type { MappingDefinition } from '../../transforms/mapping/mapping-definition.ts';
import { apiCall } from './admin-api.ts';
import type { TestEngine } from './harness.ts';

/**
 * A site's DFT^P03 variant for the mapping tests (issue 23): each FT1 is followed by a ZCH whose
 * second field is the site's local charge code, which the lookup table `cpt-to-gl` maps to a GL
 * account and a cost center.
 */
export const SITE_TABLE_CSV = 'code,gl_account,cost_center\r\nLAB-CBC,6100-LAB,CC-LAB\r\nRAD-XR,6200-RAD,CC-RAD\r\n';

export function siteMapping(fields: Record<string, string> = {}): MappingDefinition {
  return {
    id: 'site-dft-charges',
    description: 'St Mary DFT^P03: one ChargeEvent per FT1, the local code in the ZCH after it',
    model: 'ChargeEvent',
    modelVersion: 1,
    input: 'hl7',
    accepts: ['DFT^P03'],
    forEach: { segment: 'FT1', along: ['ZCH'] },
    fields: Object.fromEntries(
      Object.entries({
        lineNumber: 'number(FT1-1)',
        transactionType: 'FT1-6',
        code: 'ZCH-2',
        codeSystem: "'urn:site:stmary:charge-code'",
        quantity: 'number(FT1-10) ?? 1',
        serviceDate: 'dateTime(FT1-4)',
        glAccount: "lookup('cpt-to-gl', ZCH-2)",
        costCenter: "lookup('cpt-to-gl', ZCH-2, 'cost_center')",
        'encounter.visitNumber': 'PV1-19.1 ?? PID-18.1',
        'patient.mrn': "identifier(PID-3, 'MR')",
        ...fields,
      }).map(([target, expr]) => [target, { expr }]),
    ),
    fixtures: [],
  };
}

/** The variant: one FT1 + ZCH per code. */
export function siteDft(id: string, codes: readonly string[] = ['LAB-CBC', 'RAD-XR']): string {
  const lines = codes.flatMap((code, i) => [
    `FT1|${i + 1}|||2026040108${String(i).padStart(2, '0')}00||CG|LOCAL${i}^ITEM ${i}^L|||${i + 1}`,
    `ZCH|1|${code}`,
  ]);
  return [
    `MSH|^~\\&|LAB|STMARY|ERP|FINANCE|20260401090000||DFT^P03|${id}|P|2.5.1`,
    'EVN|P03|20260401090000',
    `PID|1||M${id}^^^STMARY^MR||DOE^JANE`,
    `PV1|1|O${'|'.repeat(17)}V${id}`,
    ...lines,
  ].join('\r');
}

/** A channel taking the variant over MLLP (any free port) and sending ChargeEvents to `erpUrl`. */
export function siteChannel(o: { erpUrl: string; mapping: number; table: number }): ChannelDefinition {
  return {
    id: 'site-dft',
    description: 'St Mary charges',
    source: { kind: 'mllp', host: '127.0.0.1', port: 0 },
    accept: ['DFT^P03'],
    transforms: [],
    mappings: [{ id: 'site-dft-charges', version: o.mapping }],
    tables: { 'cpt-to-gl': o.table },
    destinations: [
      {
        id: 'erp',
        kind: 'erp-rest',
        config: { baseUrl: o.erpUrl, timeoutMs: 2000 },
        models: ['ChargeEvent'],
        retry: { attempts: 5, initialDelayMs: 50, maxDelayMs: 500 },
      },
    ],
  };
}

/**
 * The feed as an analyst leaves it (through the admin API): table `cpt-to-gl` version 1, mapping
 * version 1, channel `site-dft` pinning both, deployed. Returns the deploy's answer.
 */
export async function deploySiteFeed(sb: TestEngine, erpUrl: string): Promise<{ status: number; body: Record<string, unknown> }> {
  await apiCall(sb, 'PUT', '/api/tables/cpt-to-gl/csv', SITE_TABLE_CSV);
  await apiCall(sb, 'PUT', '/api/mappings/site-dft-charges', siteMapping());
  await apiCall(sb, 'PUT', '/api/channels/site-dft', siteChannel({ erpUrl, mapping: 1, table: 1 }));
  return apiCall(sb, 'POST', '/api/channels/site-dft/deploy', {});
}
