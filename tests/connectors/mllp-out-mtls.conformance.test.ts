import { controlIdFor, mllpDestination } from '../../connectors/mllp/mllp.destination.ts';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import type { DestinationDefinition } from '../../engine/connector.ts';
import { parseMessage } from '../../hl7v2/index.ts';
import { silentLogger } from '../../engine/log.ts';
import { startBillingPeer } from '../../peers/billing-mllp-peer.ts';
import { makeTestPki } from '../support/certs.ts';
import { destinationConformance } from '../conformance/destination-suite.ts';

/** The shared suite again, with the billing peer behind mutual TLS (client certificate required). */
const pki = makeTestPki();
const tls = { caFile: pki.caFile, clientCertificate: { certFile: pki.client.certFile, keyFile: pki.client.keyFile } };
const make = (port: number, extra: Record<string, unknown> = {}) =>
  mllpDestination.create(
    parseConnectorConfig(mllpDestination, { host: '127.0.0.1', port, receivingApplication: 'BILLING', tls, ...extra }, 'test'),
    { log: silentLogger() },
  );
const peerTls = { cert: pki.server.cert, key: pki.server.key, ca: pki.ca };

destinationConformance({
  definition: mllpDestination as unknown as DestinationDefinition,
  async up() {
    const peer = await startBillingPeer({ tls: peerTls });
    const connector = make(peer.port);
    // The peer sees control ids derived from the keys; the suite's keys are mapped back through them.
    const received = async () => {
      const ids = peer.received().map((m) => parseMessage(m).get('MSH-10'));
      return ['conf-1:dest', 'conf-2:dest', 'conf-3:dest'].flatMap((k) => ids.filter((id) => id === controlIdFor(k)).map(() => k));
    };
    return { connector, received, close: () => peer.close() };
  },
  async down() {
    const peer = await startBillingPeer({ tls: peerTls });
    await peer.close();
    return make(peer.port, { connectTimeoutMs: 500 });
  },
});
