/**
 * Shapes of the data mappings and lookup tables API (engine/http/mappings.routes.ts,
 * engine/http/tables.routes.ts) as the console reads and sends them. Written out here rather than
 * imported: the engine's modules bring Node types the browser build does not have.
 */

/** A channel filter or a forEach `where` (transforms/dsl/predicate.ts). */
export type Condition =
  | { hl7: string; oneOf?: string[]; matches?: string; inTable?: string; present?: boolean }
  | { fhir: string; oneOf?: string[]; matches?: string; inTable?: string; present?: boolean }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

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

/** One thing wrong with a draft: a JSON pointer (`/fields/glAccount/expr`), and where in the expression. */
export interface MappingProblem {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** A field that failed on a sample: `target` is the model path, `source` the expression. */
export interface FieldError {
  event: number;
  target: string;
  source: string;
  value?: string;
  reason: string;
  table?: string;
}

export interface FieldChange {
  event: number;
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface FixtureResult {
  name: string;
  passed: boolean;
  actual: Record<string, unknown>[];
  errors: FieldError[];
  changes: FieldChange[];
  unreadable?: string;
}

export interface MappingCheck {
  problems: MappingProblem[];
  fixtures: FixtureResult[];
}

export interface MappingPreview {
  problems: MappingProblem[];
  events: Record<string, unknown>[];
  errors: FieldError[];
}

/** transforms/mapping/model-fields.ts */
export interface ModelField {
  path: string;
  type: 'string' | 'number' | 'boolean';
  oneOf?: string[];
  dataClass?: string;
  required: boolean;
  description?: string;
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
