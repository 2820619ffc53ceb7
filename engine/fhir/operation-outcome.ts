import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/**
 * OperationOutcome: the FHIR edge's one error format (https://hl7.org/fhir/R4/operationoutcome.html).
 * `diagnostics` and `details` name elements and reasons, never patient data or internal codes.
 */
export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

export function issue(
  severity: OperationOutcomeIssue['severity'],
  code: OperationOutcomeIssue['code'],
  text: string,
  expression?: string[],
): OperationOutcomeIssue {
  return { severity, code, details: { text }, ...(expression && expression.length > 0 ? { expression } : {}) };
}

export const errorOutcome = (code: OperationOutcomeIssue['code'], text: string, expression?: string[]) =>
  outcome([issue('error', code, text, expression)]);
