import { capture, fhir, upper } from '../dsl/expression.ts';

/**
 * Site conventions for resolving FHIR references to the identifiers finance uses, declared once:
 * Patient ids are `pat-<MRN>`, Encounter ids `enc-<visit number, lower case>`.
 */
export const mrnFromReference = (path: string) => capture(fhir(`${path}.reference`), /^Patient\/(?:pat-)?(.+)$/);
export const visitFromReference = (path: string) => upper(capture(fhir(`${path}.reference`), /^Encounter\/(?:enc-)?(.+)$/));
