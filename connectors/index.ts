import { ConnectorRegistry, type DestinationDefinition, type SourceDefinition } from '../engine/connector.ts';
import { erpRestDestination } from './erp-rest/erp-rest.destination.ts';
import { fhirOutDestination } from './fhir/fhir.destination.ts';
import { fhirSource } from './fhir/fhir.source.ts';
import { httpJsonDestination } from './http/http-json.destination.ts';
import { fileBatchDestination } from './file-batch/file-batch.destination.ts';
import { mllpDestination } from './mllp/mllp.destination.ts';
import { mllpSource } from './mllp/mllp.source.ts';

/**
 * The one explicit list of source and destination connectors, handed to the engine by wiring.ts.
 * Docs (`npm run docs`) and the console's forms are generated from it.
 */
export const connectors = new ConnectorRegistry(
  [mllpSource, fhirSource] as unknown as SourceDefinition[],
  [
    erpRestDestination,
    httpJsonDestination,
    fileBatchDestination,
    mllpDestination,
    fhirOutDestination,
  ] as unknown as DestinationDefinition[],
);
