import { erpRestDestination } from '../../connectors/erp-rest/erp-rest.destination.ts';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import type { DestinationDefinition } from '../../engine/connector.ts';
import { silentLogger } from '../../engine/log.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { makeTestPki } from '../support/certs.ts';
import { destinationConformance } from '../conformance/destination-suite.ts';

/** The shared suite again, with the ERP behind mutual TLS (HTTPS, client certificate required). */
const pki = makeTestPki();
const tls = { caFile: pki.caFile, clientCertificate: { certFile: pki.client.certFile, keyFile: pki.client.keyFile } };
const make = (baseUrl: string) =>
  erpRestDestination.create(parseConnectorConfig(erpRestDestination, { baseUrl, timeoutMs: 2000, tls }, 'test'), { log: silentLogger() });
const serverTls = { cert: pki.server.cert, key: pki.server.key, ca: pki.ca };

destinationConformance({
  definition: erpRestDestination as unknown as DestinationDefinition,
  async up() {
    const erp = await startErpSimulator({ tls: serverTls });
    return { connector: make(erp.url), received: async () => erp.postings().map((p) => p.idempotencyKey), close: () => erp.close() };
  },
  async down() {
    const erp = await startErpSimulator({ tls: serverTls });
    await erp.close();
    return make(erp.url);
  },
});
