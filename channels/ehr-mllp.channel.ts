import { defineChannel } from '../engine/channel.ts';

/** The demo channel: ADT and DFT from the EHR over MLLP, encounters and charges to the ERP. */
export default defineChannel({
  id: 'ehr-mllp',
  description: 'EHR ADT and DFT feed over MLLP to the finance ERP',
  source: {
    kind: 'mllp',
    host: '${MLLP_HOST:-127.0.0.1}',
    port: '${MLLP_PORT:-2575}',
    maxFrameBytes: '${MLLP_MAX_FRAME_BYTES:-1048576}',
    idleTimeoutMs: '${MLLP_IDLE_TIMEOUT_MS:-300000}',
    defaultCharset: 'UNICODE UTF-8',
  },
  // ORU^R01 is accepted and stored for the record; no transform maps it, so it is `filtered` (sent nowhere).
  accept: ['ADT^A01', 'ADT^A02', 'ADT^A03', 'ADT^A04', 'ADT^A08', 'ADT^A11', 'ADT^A13', 'ADT^A40', 'DFT^P03', 'ORU^R01'],
  transforms: ['hl7v2.adt-to-encounter', 'hl7v2.dft-to-charges', 'hl7v2.dft-to-supply'],
  destinations: [
    {
      id: 'erp',
      kind: 'erp-rest',
      config: { baseUrl: '${ERP_BASE_URL:-http://127.0.0.1:8090}' },
      models: ['EncounterEvent', 'ChargeEvent', 'SupplyConsumptionEvent'],
      retry: { attempts: 8, initialDelayMs: 1000, maxDelayMs: 60000 },
      // The ERP posts each charge and encounter to the patient account: it needs the visit (account)
      // number, an indirect identifier, besides the default classes. No direct identifier (MRN, name).
      dataPolicy: { allow: ['clinical', 'financial', 'operational', 'indirect-identifier'] },
    },
  ],
});
