import { mllpSource } from '../../connectors/mllp/mllp.source.ts';
import { sourceConformance, type SourceAnswer } from '../conformance/source-suite.ts';
import { testChannel } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';

const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|${id}|P|2.5.1\rEVN|A01|20260315083000\r` +
  `PID|1||4711^^^GENHOSP^MR||ROE^RITA\rPV1|1|I|4W${'|'.repeat(16)}V${id}\r`;
const read = (ack: string): SourceAnswer => ({ accepted: field(ack, 'MSA', 1) === 'AA', reason: field(ack, 'MSA', 3) });

sourceConformance({
  definition: mllpSource,
  channel: (erpUrl) => testChannel({ erpUrl }),
  client: async (sb) => {
    const client = await MllpTestClient.connect(sb.mllpPort);
    return {
      sendValid: async (id) => read(await client.send(adt(id))),
      sendInvalid: async () => read(await client.send('MSH|^~\\&|EPIC|GENHOSP\rNOT A SEGMENT\r')),
      close: async () => client.close(),
    };
  },
  port: (sb) => sb.mllpPort,
});
