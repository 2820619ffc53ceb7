import ehrFhir from '../../channels/ehr-fhir.channel.ts';
import { fhirSource } from '../../connectors/fhir/fhir.source.ts';
import { sourceConformance, type SourceAnswer } from '../conformance/source-suite.ts';

const TOKEN = 'conformance-token-0123456789';
/** A Patient: the demo channel accepts it and stores it for the record (no transform maps it). */
const patient = (id: string) => ({ resourceType: 'Patient', id, active: true });

/** A FHIR answer: 2xx accepted; otherwise the OperationOutcome's first diagnostics. */
async function read(res: Response): Promise<SourceAnswer> {
  const body = (await res.json()) as { issue?: { details?: { text?: string } }[] };
  return res.ok ? { accepted: true, reason: '' } : { accepted: false, reason: `${res.status} ${body.issue?.[0]?.details?.text ?? ''}` };
}

sourceConformance({
  definition: fhirSource,
  channel: (erpUrl) => ({
    ...ehrFhir,
    source: { kind: 'fhir', tokens: [TOKEN] },
    destinations: ehrFhir.destinations.map((d) => ({
      ...d,
      config: { baseUrl: erpUrl },
      retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 200 },
    })),
  }),
  client: async (sb, channel) => {
    const base = `http://127.0.0.1:${sb.addresses.http!.port}/fhir/${channel.id}`;
    const post = (body: string, id: string) =>
      fetch(`${base}/Patient`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${TOKEN}`, 'x-request-id': id },
      });
    return {
      sendValid: async (id) => read(await post(JSON.stringify(patient(id)), id)),
      sendInvalid: async () => read(await post('{"resourceType": "Patient", "active": "yes"}', 'bad')),
      close: async () => undefined,
    };
  },
  port: (sb) => sb.addresses.http!.port,
});
