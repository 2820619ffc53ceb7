import { erpRestDestination } from '../../connectors/erp-rest/erp-rest.destination.ts';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import type { DestinationDefinition } from '../../engine/connector.ts';
import { silentLogger } from '../../engine/log.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { destinationConformance } from '../conformance/destination-suite.ts';

const make = (baseUrl: string) =>
  erpRestDestination.create(parseConnectorConfig(erpRestDestination, { baseUrl, timeoutMs: 2000 }, 'test'), { log: silentLogger() });

destinationConformance({
  definition: erpRestDestination as unknown as DestinationDefinition,
  async up() {
    const erp = await startErpSimulator();
    return { connector: make(erp.url), received: async () => erp.postings().map((p) => p.idempotencyKey), close: () => erp.close() };
  },
  async down() {
    const erp = await startErpSimulator();
    await erp.close();
    return make(erp.url);
  },
});
