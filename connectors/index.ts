import type { DestinationDefinition } from '../engine/connector.ts';
import { erpRestDestination } from './erp-rest/erp-rest.destination.ts';
import { fileBatchDestination } from './file-batch/file-batch.destination.ts';
import { mllpDestination } from './mllp/mllp.destination.ts';
import { fhirOutDestination } from './fhir-out/fhir-out.destination.ts';

/** The one explicit list of destination connectors. Docs and console forms are generated from it. */
export const destinationConnectors: readonly DestinationDefinition[] = [erpRestDestination, fileBatchDestination, mllpDestination, fhirOutDestination] as unknown as DestinationDefinition[];

export function findDestinationConnector(kind: string): DestinationDefinition | undefined {
  return destinationConnectors.find((d) => d.kind === kind);
}
