import type { Condition } from '../../transforms/dsl/predicate.ts';
import type { FieldError } from '../../transforms/dsl/define-transform.ts';
import type { MappingProblem } from '../../transforms/mapping/compile-mapping.ts';
import type { FieldChange, FixtureResult } from '../../transforms/mapping/mapping-fixtures.ts';
import type { MappingCheck } from '../../engine/mappings/mapping-service.ts';

/**
 * Shapes of the data mappings and lookup tables API (engine/http/mappings.routes.ts,
 * engine/http/tables.routes.ts) as the console reads and sends them: the engine's own types where
 * they are plain data (type-only imports: nothing of the engine is bundled), the answers' shapes here.
 */

export type { Condition, FieldChange, FieldError, FixtureResult, MappingCheck, MappingProblem };

export interface MappingFixture {
  name: string;
  input: string;
  expected: Record<string, unknown>[];
}

/** transforms/mapping/mapping-definition.ts */
export interface MappingDraft {
  id: string;
  description: string;
  model: string;
  modelVersion: number;
  input: 'hl7' | 'fhir';
  accepts: string[];
  forEach?: { segment: string; where?: Condition; along?: string[] };
  fields: Record<string, { expr: string; required?: boolean }>;
  fixtures: MappingFixture[];
}

/** A field of the editor's list: the model's (transforms/mapping/model-fields.ts), or one the draft maps that the model lacks. */
export interface ModelField {
  path: string;
  type: 'string' | 'number' | 'boolean';
  oneOf?: readonly string[];
  dataClass?: string;
  required: boolean;
  description?: string;
}

export interface MappingPreview {
  problems: MappingProblem[];
  events: Record<string, unknown>[];
  errors: FieldError[];
}

/** A version of a mapping or table as the lists give it. */
export interface VersionInfo {
  version: number;
  origin: string;
  author: string;
  comment: string | null;
  at: string;
}

export interface MappingItem extends VersionInfo {
  id: string;
  model: string;
  input: 'hl7' | 'fhir';
  accepts: string[];
  description: string;
}

/** One function of the expression language (GET /api/mappings/functions). */
export interface FunctionInfo {
  name: string;
  params: { name: string; kind: string; type: string; optional?: boolean; variadic?: boolean }[];
  result: string;
  doc: string;
  example: string;
}

/** engine/tables/table-schema.ts */
export interface TableDefinition {
  name: string;
  description?: string;
  columns: string[];
  rows: string[][];
  onMissing: { error: true } | { default: Record<string, string> };
}

export interface TableItem {
  name: string;
  version: number;
  description: string | null;
  columns: string[];
  rows: number;
  updatedAt: string;
  updatedBy: string;
}

/** engine/tables/table-diff.ts */
export interface TableDiff {
  from: number;
  to: number;
  columns: { before: string[]; after: string[] } | null;
  settings: { path: string; before: string | null; after: string | null }[];
  added: string[];
  removed: string[];
  changed: { key: string; columns: Record<string, { before: string | null; after: string | null }> }[];
  counts: { added: number; removed: number; changed: number };
}
