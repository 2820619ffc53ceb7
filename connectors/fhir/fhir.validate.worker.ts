/**
 * A FhirValidatorPool thread (piscina worker): loads the R4 definitions as it starts, then
 * validates FHIR JSON texts, one task at a time, returning the OperationOutcome issues (cloned back
 * to the event loop; the parsed resource stays here).
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { loadFhirDefinitions, validateFhir } from './fhir.validator.ts';

loadFhirDefinitions();

export default function validate(text: string): OperationOutcomeIssue[] {
  return validateFhir(JSON.parse(text));
}
